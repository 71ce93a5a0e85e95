import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.ts';
import { createShellAction } from '../../../src/workflows/actions/shell.ts';
import { actionContext } from './action-context.ts';

const baseEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
const printCwd = [process.execPath, '-e', 'console.log(process.cwd())'];

let workDir: string;
beforeEach(() => {
  workDir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-workdir-')));
  fs.mkdirSync(path.join(workDir, 'sub'));
});
afterEach(() => fs.rmSync(workDir, { recursive: true, force: true }));

describe('shell steps run in the work folder opsbot was given', () => {
  const shell = () => createShellAction({ baseEnv, workDir });
  const cwdOf = async (input: Record<string, unknown>) => String((await shell().run(shell().parse(input), actionContext())).result.stdout).trim();

  it('runs a step without cwd in the work folder, so its relative paths land there', async () => {
    expect(await cwdOf({ argv: printCwd })).toBe(workDir);
  });

  it('resolves a relative cwd against the work folder and leaves an absolute one alone', async () => {
    expect(await cwdOf({ argv: printCwd, cwd: 'sub' })).toBe(path.join(workDir, 'sub'));
    expect(await cwdOf({ argv: printCwd, cwd: os.tmpdir() })).toBe(fs.realpathSync(os.tmpdir()));
  });

  it('refuses a cwd that is not a folder, naming where it was looked for', async () => {
    const run = shell().run(shell().parse({ argv: printCwd, cwd: 'missing' }), actionContext());
    await expect(run).rejects.toThrow(UserError);
    await expect(run).rejects.toThrow(`shell: cwd "missing" (${path.join(workDir, 'missing')}) is not a directory.`);
  });
});
