import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Docker cannot build on the development machines, so the Dockerfile's promises are checked as text.
const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
const runtime = dockerfile.split(/^FROM /m).at(-1) ?? '';
const instruction = (name: string) => runtime.split('\n').filter((l) => l.startsWith(`${name} `));

describe('Dockerfile', () => {
  it('is multi-stage on Node 24 slim', () => {
    const froms = dockerfile.match(/^FROM .*/gm) ?? [];
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/node:24-slim/);
  });

  it('runs as a non-root user', () => {
    const users = instruction('USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/USER\s+(root|0)\b/);
  });

  it('checks health with node fetching /healthz, since the slim image has no curl', () => {
    const health = runtime.match(/^HEALTHCHECK[\s\S]*?CMD (\[.*\])/m);
    expect(health).not.toBeNull();
    const argv = JSON.parse(health?.[1] ?? '[]') as string[];
    expect(argv[0]).toBe('node');
    expect(argv.join(' ')).toMatch(/fetch\(.*\/healthz/);
    const instructions = runtime.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n');
    expect(instructions).not.toMatch(/\b(curl|wget)\b/);
  });

  it('keeps the SQLite file on a volume at the default database folder', () => {
    const volume = instruction('VOLUME').join(' ');
    const dbPath = /DATABASE_PATH=(\S+)/.exec(runtime)?.[1] ?? '';
    expect(dbPath).not.toBe('');
    const folder = dbPath.slice(0, dbPath.lastIndexOf('/'));
    expect(volume).toContain(folder);
  });

  it('runs under an init that reaps the orphans of workflow shell steps', () => {
    expect(runtime).toMatch(/^ENTRYPOINT \["\/usr\/bin\/tini", "--"\]/m);
  });

  it('sets NODE_ENV=production', () => {
    expect(runtime).toMatch(/NODE_ENV=production/);
  });

  it('starts with the same command as npm start', () => {
    const cmd = runtime.match(/^CMD (\[.*\])/m)?.[1];
    const argv = JSON.parse(cmd ?? '[]') as string[];
    expect(argv.join(' ')).toBe(pkg.scripts.start);
  });
});
