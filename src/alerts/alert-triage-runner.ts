import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { errorMessage } from '../errors.ts';
import type { AlertGroupRepo, GroupSuggestion, StoredAlertGroup, TriageSummary } from '../store/alert-group-repo.ts';
import type { Store } from '../store/types.ts';
import { toAlertGroup } from './alert-group.ts';
import type { AlertTriage, TriageOutcome, TriageRequest } from './triage-types.ts';

/**
 * Hands new groups to the triage loop (triage-types.ts), once per group: the group's triage
 * status goes due → running (stored before the call) → done / failed, so a storm never triages a
 * group twice and a restart takes up what was due or cut off (a run cut off by a crash runs again:
 * at least once, since a lost triage is worse than a repeated reply). A few run at a time; the
 * others wait their turn in order. Without a triage loop wired, groups are marked skipped.
 */

export interface AlertTriageRunner {
  /** The group's first message is out and its triage is due. */
  start(group: StoredAlertGroup): void;
  /** Takes up triage that was due or running before a restart. */
  resume(): number;
  idle(): Promise<void>;
  busy(): boolean;
  stop(): void;
}

export interface AlertTriageRunnerDeps {
  groups: AlertGroupRepo;
  store: Pick<Store, 'transaction' | 'audit'>;
  triage: AlertTriage | undefined;
  clock: Clock;
  log: Logger;
  dryRun: boolean;
  /** Triage runs at once; the rest queue. */
  concurrency: number;
  /** Something shown on the group's message changed. */
  onChanged(groupId: number): void;
}

export function createAlertTriageRunner(deps: AlertTriageRunnerDeps): AlertTriageRunner {
  const { groups, clock, log } = deps;
  const queue: number[] = [];
  const queued = new Set<number>();
  const running = new Map<number, Promise<void>>();
  let stopped = false;

  function start(group: StoredAlertGroup): void {
    if (stopped || queued.has(group.id) || running.has(group.id)) return;
    const current = groups.get(group.id);
    if (!current || (current.triage !== 'due' && current.triage !== 'running')) return;
    if (!deps.triage) {
      groups.update(group.id, { triage: 'skipped', triageNote: 'no triage loop is wired' }, clock.now());
      return;
    }
    // Its reply goes in the group's thread: it waits for the message (DRY_RUN has none and logs instead).
    if (!deps.dryRun && current.messageTs === null) return;
    if (current.triage === 'due') groups.update(group.id, { triage: 'running', triageNote: null }, clock.now());
    queue.push(group.id);
    queued.add(group.id);
    pump();
  }

  function pump(): void {
    while (!stopped && running.size < deps.concurrency && queue.length > 0) {
      const id = queue.shift()!;
      queued.delete(id);
      const job = run(id)
        .catch((err: unknown) => log.error({ err, group: id }, 'alert triage bookkeeping failed'))
        .finally(() => {
          running.delete(id);
          pump();
        });
      running.set(id, job);
    }
  }

  async function run(id: number): Promise<void> {
    const group = groups.get(id);
    if (!group || !deps.triage) return;
    const alerts = groups.alerts(id).map((a) => a.alert);
    const request: TriageRequest = {
      groupId: group.groupId,
      group: toAlertGroup(group.key, alerts),
      channel: group.channel,
      threadTs: group.messageTs ?? '',
      ...(deps.dryRun || group.messageTs === null ? { dryRun: true as const } : {}),
    };
    const runLog = log.child({ group: group.groupId });
    runLog.info({ alerts: alerts.length }, 'alert group triage started');
    let outcome: TriageOutcome;
    try {
      outcome = await deps.triage.triage(request, runLog);
    } catch (err) {
      runLog.error({ err }, 'alert group triage failed');
      const at = clock.now();
      deps.store.transaction(() => {
        groups.update(id, { triage: 'failed', triageNote: errorMessage(err).slice(0, 500) }, at);
        deps.store.audit.append({ at, actor: 'opsbot', channel: group.channel || null, action: 'alerts.triage', command: `alerts triage ${group.groupId}`, args: JSON.stringify({ before: { triage: 'running' }, after: { triage: 'failed' } }), outcome: 'error', detail: errorMessage(err).slice(0, 500) });
      });
      deps.onChanged(id);
      return;
    }
    const at = clock.now();
    const summary = triageSummary(outcome);
    // Only an incident or a suggestion shows on the group's message; otherwise it is left as it is (chat.update is Tier 3).
    const shown = deps.store.transaction(() => {
      const current = groups.get(id);
      const suggestion = suggestionFrom(outcome, group.groupId);
      const linking = Boolean(outcome.incidentId && !current?.incidentId);
      const suggesting = Boolean(suggestion && !current?.suggestion);
      groups.update(
        id,
        {
          triage: 'done',
          triagedAt: at,
          triageOutcome: summary,
          ...(linking ? { incidentId: outcome.incidentId } : {}),
          ...(suggesting ? { suggestion } : {}),
        },
        at,
      );
      deps.store.audit.append({
        at,
        actor: 'opsbot',
        channel: group.channel || null,
        action: 'alerts.triage',
        command: `alerts triage ${group.groupId}`,
        args: JSON.stringify({ before: { triage: 'running', incidentId: current?.incidentId ?? null }, after: summary }),
        outcome: 'ok',
      });
      return linking || suggesting;
    });
    runLog.info({ severity: summary.severity, accepted: summary.accepted, incident: summary.incidentId }, 'alert group triaged');
    if (shown) deps.onChanged(id);
  }

  return {
    start,
    resume() {
      const ids = groups.triagePending();
      for (const id of ids) {
        const group = groups.get(id);
        if (!group) continue;
        if (group.triage === 'running') log.warn({ group: group.groupId }, 'alert group triage was cut off by a restart; running it again');
        start(group);
      }
      return ids.length;
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
    busy: () => running.size > 0,
    stop() {
      stopped = true;
    },
  };
}

function triageSummary(outcome: TriageOutcome): TriageSummary {
  return {
    severity: outcome.severity,
    accepted: outcome.accepted,
    rounds: outcome.rounds,
    ...(outcome.needsHuman ? { needsHuman: outcome.needsHuman } : {}),
    ...(outcome.playbook ? { playbook: outcome.playbook.name } : {}),
    ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}),
    runIds: outcome.runIds,
  };
}

/**
 * The "Run suggested playbook" button for an accepted proposal naming a playbook that fits the
 * group: targets from the alert's labels (the candidate's params), other params the playbook
 * declares from the proposal; the click runs `playbook run` under the engine's approval rules.
 */
export function suggestionFrom(outcome: TriageOutcome, groupId: string): GroupSuggestion | undefined {
  if (!outcome.accepted) return undefined;
  const candidate = outcome.playbook;
  // The loop's own Run command, when it has one: the reply's button and this one run the same.
  if (outcome.runCommand) return { label: candidate ? `Run ${candidate.name}` : 'Run suggested playbook', command: outcome.runCommand };
  if (!candidate || candidate.missing.length > 0) return undefined;
  const proposal = outcome.fix?.proposal;
  const params: Record<string, string> = {};
  if (proposal?.kind === 'playbook' && proposal.name === candidate.name) {
    for (const { name, value } of proposal.params) if (name in candidate.paramDefinitions) params[name] = value;
  }
  Object.assign(params, candidate.params);
  return { label: `Run ${candidate.name}`, command: playbookCommand(candidate.name, params, groupId) };
}

/** `playbook run <name> k=v… alert=<group>`, values quoted when the parser needs it. */
export function playbookCommand(name: string, params: Readonly<Record<string, string>>, groupId: string): string {
  const words = Object.entries(params).map(([key, value]) => `${key}=${quote(value)}`);
  return ['playbook run', name, ...words, `alert=${groupId}`].join(' ');
}

function quote(value: string): string {
  return /^[^\s"'“”‘’„\\]+$/.test(value) ? value : `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}
