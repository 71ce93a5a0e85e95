import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The bench's child processes and temp dirs. Everything made here is tracked so that run.ts can
 * remove it whatever happens (a crash, Ctrl-C, a failed start): children are killed by their own
 * pid, temp dirs removed. Children run the parent's Node binary with the parent's flags.
 */

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** The last lines the child wrote (stdout and stderr), for error messages. */
  tail(): string;
  /** Lines written to stdout and stderr so far. */
  readonly lines: { stdout: number; stderr: number };
  /** Resolves with the exit code (or signal) once the child has exited. */
  readonly exited: Promise<string>;
}

const children = new Set<Child>();
const tempDirs = new Set<string>();
const TAIL_LINES = 40;

function track(name: string, child: ChildProcess): Child {
  const tail: string[] = [];
  const lines = { stdout: 0, stderr: 0 };
  const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      lines[stream] += 1;
      tail.push(`[${name} ${stream}] ${line}`);
      if (tail.length > TAIL_LINES) tail.shift();
    }
  };
  child.stdout?.on('data', collect('stdout'));
  child.stderr?.on('data', collect('stderr'));
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `exit ${String(code)}`));
    child.once('error', (err) => resolve(`spawn error: ${err.message}`));
  });
  const handle: Child = { name, process: child, tail: () => tail.join('\n'), lines, exited };
  children.add(handle);
  void exited.then(() => children.delete(handle));
  return handle;
}

export interface StartOptions {
  env: Record<string, string>;
  cwd?: string;
}

/** A TypeScript entry point under the same Node binary and flags as the bench, without IPC. */
export function spawnNode(name: string, script: string, args: readonly string[], options: StartOptions): Child {
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    env: options.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(name, child);
}

/** As spawnNode, with an IPC channel (the child exits when the channel closes). */
export function forkNode(name: string, script: string, options: StartOptions): Child {
  const child = fork(script, [], {
    execPath: process.execPath,
    execArgv: process.execArgv,
    env: options.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  return track(name, child);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function stopChild(child: Child, graceMs = 5_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      child.process.kill('SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([child.exited, killed]);
  clearTimeout(timer);
  await child.exited;
}

/** Last resort (process exit, signals): kill every child still alive, by its own pid. */
export function killAllChildrenSync(): void {
  for (const child of children) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
  }
}

export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

export function removeAllTempDirsSync(): void {
  for (const dir of [...tempDirs]) removeTempDir(dir);
}

/** A port free on loopback right now (the child binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 200; fails early when the child exits, and after `timeoutMs`. */
export async function waitForHttp200(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  void child.exited.then((how) => (exited = how));
  for (;;) {
    if (exited !== undefined) throw new Error(`${child.name} exited (${exited}) before it was ready:\n${child.tail()}`);
    const status = await new Promise<number>((resolve) => {
      const req = get(url, { agent: false, timeout: 1_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${child.name} not ready at ${url} after ${timeoutMs} ms:\n${child.tail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The first IPC message from a child that satisfies `accept`, or an error when it exits or times out. */
export function nextMessage<T>(child: Child, accept: (message: unknown) => message is T, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (!accept(message)) return;
      done();
      resolve(message);
    };
    const onExit = () => {
      done();
      reject(new Error(`${child.name} exited before answering:\n${child.tail()}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${child.name} did not answer within ${timeoutMs} ms:\n${child.tail()}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.process.off('message', onMessage);
      child.process.off('exit', onExit);
    };
    child.process.on('message', onMessage);
    child.process.once('exit', onExit);
  });
}
