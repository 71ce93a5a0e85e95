import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Shell steps run as the leader of their own process group (spawned detached, so pgid = pid),
 * which lets opsbot stop a step with everything it started, and find what a crashed opsbot
 * left behind. Linux's /proc tells who is who; elsewhere the checks that need it degrade to
 * doing nothing rather than signalling a process that might not be ours.
 *
 * Waits here use real timers, not the clock: how long a process takes to exit after SIGTERM
 * is a fact of the operating system, and a clock that is not moving (a test's ManualClock, a
 * paused replay) must never keep alive a process that was told to die.
 */

const PROC = '/proc';
/** Linux's USER_HZ; /proc/<pid>/stat counts start time in these ticks. 100 on every mainstream architecture. */
const TICKS_PER_SECOND = 100;
/** A recorded start time and the kernel's differ by the spawn itself and /proc's 1 s boot-time precision. */
const START_TIME_TOLERANCE_MS = 2_000;
const POLL_MS = 20;

export interface ProcessInfo {
  pid: number;
  /** argv as /proc/<pid>/cmdline holds it. */
  cmdline: string[];
  /** R, S, D, Z (zombie: exited, not yet reaped), … */
  state: string;
  pgrp: number;
  session: number;
  /** Wall-clock start, from boot time + start ticks; undefined when /proc/stat has no btime. */
  startedAt: number | undefined;
}

export interface OrphanRecord {
  /** The step's process: leader of its own group. */
  pid: number;
  /** Wall-clock milliseconds when it was spawned (Date.now(), not the domain clock: see recordProcess in action.ts). */
  startedAt: number;
  argv0: string;
}

export interface KilledGroup extends OrphanRecord {
  /** Every process of the group that was alive and got SIGKILL. */
  pids: number[];
}

export function hasProc(procRoot = PROC): boolean {
  return fs.existsSync(path.join(procRoot, 'self', 'stat'));
}

export function readProcess(pid: number, procRoot = PROC): ProcessInfo | undefined {
  return readProcessAt(pid, procRoot, bootTimeMs(procRoot));
}

function readProcessAt(pid: number, procRoot: string, bootMs: number | undefined): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(path.join(procRoot, String(pid), 'stat'), 'utf8');
    // comm (field 2) is in parentheses and may itself hold spaces and parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = fs.readFileSync(path.join(procRoot, String(pid), 'cmdline'), 'utf8').split('\0');
    if (cmdline.at(-1) === '') cmdline.pop();
    const startTicks = Number(rest[19]);
    return {
      pid,
      cmdline,
      state: rest[0] ?? '?',
      pgrp: Number(rest[2]),
      session: Number(rest[3]),
      startedAt: bootMs === undefined ? undefined : bootMs + (startTicks * 1000) / TICKS_PER_SECOND,
    };
  } catch {
    return undefined;
  }
}

/** Live (not zombie) processes whose process group is `pgid`. */
export function listGroupMembers(pgid: number, procRoot = PROC): ProcessInfo[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(procRoot);
  } catch {
    return [];
  }
  const bootMs = bootTimeMs(procRoot);
  const members: ProcessInfo[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcessAt(Number(entry), procRoot, bootMs);
    if (info && info.pgrp === pgid && info.state !== 'Z') members.push(info);
  }
  return members;
}

/** Sends `signal` to every process in the group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether anything of the group still runs. Zombies do not count: they have exited, and where
 * nothing reaps them (Node as PID 1 in a container without an init) they would count forever.
 */
export function groupAlive(pgid: number, procRoot = PROC): boolean {
  if (!signalGroup(pgid, 0)) return false;
  return hasProc(procRoot) ? listGroupMembers(pgid, procRoot).length > 0 : true;
}

/**
 * SIGTERM to the whole group, SIGKILL to what is left after `graceMs`; resolves when nothing of
 * the group runs (or, should a process ignore even SIGKILL's aftermath, a second later).
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<void> {
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGTERM');
  if (await goneWithin(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await goneWithin(pgid, 1_000);
}

async function goneWithin(pgid: number, ms: number): Promise<boolean> {
  for (let waited = 0; ; waited += POLL_MS) {
    if (!groupAlive(pgid)) return true;
    if (waited >= ms) return false;
    await delay(POLL_MS);
  }
}

/**
 * Called on resume with the process groups recorded by shell steps of a crashed opsbot: kills
 * every group still alive that is provably the one recorded, and returns what it killed.
 *
 * A pid may have been reused since the record, so the leader must still lead its own group and
 * be the recorded process: its command line starts with `argv0` (an interpreter may stand first,
 * as for `#!` scripts), or it started when the record says (which also covers a leader that
 * exec'd another program, as `sh -c` does with its last command). When the leader has exited
 * but members of its group remain, they are taken as ours when they also share a session of
 * that id (shell steps are spawned with setsid): Linux does not hand out a pid while a group or
 * session of that id exists. What remains possible is a pid reused by another session leader
 * that has exited too, leaving members behind, within one outage; that is accepted. Without
 * /proc nothing can be proved, so nothing is killed.
 */
export function killOrphans(records: readonly OrphanRecord[], options: { procRoot?: string } = {}): KilledGroup[] {
  const procRoot = options.procRoot ?? PROC;
  if (!hasProc(procRoot)) return [];
  const killed: KilledGroup[] = [];
  for (const record of records) {
    if (!Number.isSafeInteger(record.pid) || record.pid <= 1) continue;
    const members = listGroupMembers(record.pid, procRoot);
    if (members.length === 0) continue;
    const leader = members.find((m) => m.pid === record.pid);
    if (leader ? !isRecordedLeader(leader, record) : !members.every((m) => m.session === record.pid)) continue;
    if (signalGroup(record.pid, 'SIGKILL')) killed.push({ ...record, pids: members.map((m) => m.pid) });
  }
  return killed;
}

function isRecordedLeader(leader: ProcessInfo, record: OrphanRecord): boolean {
  if (leader.pgrp !== record.pid) return false;
  return commandMatches(leader.cmdline, record.argv0) || startMatches(leader.startedAt, record.startedAt);
}

function commandMatches(cmdline: string[], argv0: string): boolean {
  if (!argv0) return false;
  // `#!/bin/sh` scripts show as `/bin/sh ./deploy.sh …`, `#!/usr/bin/env bash` as `bash ./deploy.sh …`.
  return cmdline.slice(0, 3).includes(argv0);
}

function startMatches(actual: number | undefined, recorded: number): boolean {
  return actual !== undefined && Math.abs(actual - recorded) <= START_TIME_TOLERANCE_MS;
}

function bootTimeMs(procRoot: string): number | undefined {
  try {
    const match = /^btime (\d+)$/m.exec(fs.readFileSync(path.join(procRoot, 'stat'), 'utf8'));
    return match ? Number(match[1]) * 1000 : undefined;
  } catch {
    return undefined;
  }
}
