import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { killOrphans, listGroupMembers, readProcess, signalGroup } from '../../../src/workflows/actions/process-groups.ts';
import { eventually } from './action-context.ts';

const NODE = process.execPath;
const IDLE = 'setInterval(() => {}, 1000)';
/** A leader that starts one child of its own (same group), then idles; `exit` makes it leave the child behind. */
const withChild = (exit = false) =>
  `require("child_process").spawn(process.execPath, ["-e", ${JSON.stringify(IDLE)}], { stdio: "ignore" }).unref(); ${exit ? 'process.exit()' : IDLE}`;

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.pid) signalGroup(child.pid, 'SIGKILL');
});

const isRunning = (pid: number) => {
  const info = readProcess(pid);
  return !!info && info.state !== 'Z';
};

/** A detached group as a shell step leaves it when opsbot dies: leader plus `members - 1` children. */
async function leftoverGroup(script: string, members: number) {
  const child = spawn(NODE, ['-e', script], { detached: true, stdio: 'ignore' });
  const startedAt = Date.now();
  started.push(child);
  const pid = child.pid as number;
  const pids = await eventually(() => {
    const found = listGroupMembers(pid).map((p) => p.pid);
    return found.length === members && found.sort((a, b) => a - b);
  }, `${members} processes in group ${pid}`);
  return { pid, pids, startedAt };
}

describe('killOrphans, on resume', () => {
  it('kills a recorded group still running, children included, and says what it killed', async () => {
    const { pid, pids, startedAt } = await leftoverGroup(withChild(), 2);
    const killed = killOrphans([{ pid, startedAt, argv0: NODE }]);
    expect(killed).toEqual([{ pid, startedAt, argv0: NODE, pids }]);
    await eventually(() => pids.every((p) => !isRunning(p)), 'the group to die');
  });

  it('leaves alone a process that took the pid: another command, started at another time', async () => {
    const { pid } = await leftoverGroup(IDLE, 1);
    const killed = killOrphans([{ pid, startedAt: Date.parse('2020-01-01T00:00:00Z'), argv0: '/usr/local/bin/deploy' }]);
    expect(killed).toEqual([]);
    expect(isRunning(pid)).toBe(true);
  });

  it('recognises by its start time a leader that exec’d another program', async () => {
    const { pid, startedAt } = await leftoverGroup(IDLE, 1);
    expect(killOrphans([{ pid, startedAt, argv0: 'sh' }])).toHaveLength(1);
    await eventually(() => !isRunning(pid), 'the leader to die');
  });

  it('kills what is left of a group whose leader has exited', async () => {
    const child = spawn(NODE, ['-e', withChild(true)], { detached: true, stdio: 'ignore' });
    started.push(child);
    const leader = child.pid as number;
    const [member] = await eventually(() => {
      const found = listGroupMembers(leader).filter((p) => p.pid !== leader);
      return found.length === 1 && !isRunning(leader) && found;
    }, 'the leader to exit, leaving its child');
    expect(killOrphans([{ pid: leader, startedAt: 0, argv0: NODE }])).toEqual([{ pid: leader, startedAt: 0, argv0: NODE, pids: [member?.pid] }]);
    await eventually(() => !isRunning(member?.pid ?? 0), 'the leftover child to die');
  });

  it('does nothing for a group that is gone', () => {
    expect(killOrphans([{ pid: 2 ** 22 + 7, startedAt: 0, argv0: NODE }])).toEqual([]);
  });

  it('kills nothing where there is no /proc to prove whose a process is', async () => {
    const { pid, startedAt } = await leftoverGroup(IDLE, 1);
    const noProc = fs.mkdtempSync(path.join(os.tmpdir(), 'opsbot-noproc-'));
    try {
      expect(killOrphans([{ pid, startedAt, argv0: NODE }], { procRoot: noProc })).toEqual([]);
      expect(isRunning(pid)).toBe(true);
    } finally {
      fs.rmSync(noProc, { recursive: true, force: true });
    }
  });
});
