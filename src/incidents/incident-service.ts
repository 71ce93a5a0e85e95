import type { Severity } from '../config/policy-schema.ts';
import { UserError } from '../errors.ts';
import type { RepoRef } from '../integrations/github/github-types.ts';
import { type Actor, createIncidentCore, type IncidentCore, type IncidentDeps, SYSTEM } from './incident-core.ts';
import { createIncidentChanges } from './incident-changes.ts';
import { type DeclareInput, type DeclareOrigin, declareIncident } from './incident-declare.ts';
import { createPaging } from './incident-paging.ts';
import { createIncidentResolution, type Postmortem } from './incident-resolve.ts';
import { incidentStats, type IncidentStats } from './incident-stats.ts';
import {
  type Incident,
  type IncidentEvent,
  type IncidentRole,
  type IncidentStatus,
  type NewIncidentEvent,
  parseIncidentId,
} from './incident-types.ts';

export type { Actor } from './incident-core.ts';
export type { DeclareInput, DeclareOrigin } from './incident-declare.ts';
export type { Postmortem } from './incident-resolve.ts';

/** What the `incident …` commands, the Slack handlers and the rest of opsbot use. */
export interface IncidentService {
  declare(input: DeclareInput, origin: DeclareOrigin): Promise<{ incident: Incident; created: boolean }>;
  get(number: number): Incident | undefined;
  /**
   * The incident a request is about: the one named (`INC-3`), else the one whose channel (or
   * thread) the request came from. Throws a UserError saying which it could not find.
   */
  locate(ref: number | undefined, where: { channel: string; threadTs?: string }): Incident;
  /** The incident living in this channel or thread, if any. */
  at(where: { channel: string; threadTs?: string }): Incident | undefined;
  list(options: { open?: boolean; severity?: Severity; limit: number }): Incident[];
  timeline(incident: Incident): IncidentEvent[];
  update(incident: Incident, change: { text?: string; status?: IncidentStatus }, actor: Actor): Promise<Incident>;
  setSeverity(incident: Incident, severity: Severity, actor: Actor): Promise<Incident>;
  assign(incident: Incident, user: string, role: IncidentRole, actor: Actor): Promise<{ incident: Incident; changed: boolean }>;
  note(incident: Incident, text: string, actor: Actor, options?: { ref?: string; at?: number; who?: string | null; quiet?: boolean }): Promise<IncidentEvent | undefined>;
  /**
   * Puts something that happened elsewhere on an incident's timeline: a linked alert, a workflow
   * or playbook run, an approval (`kind`), by `who`, at `at` (default now). With a `ref`, the same
   * event reported twice is kept once (undefined the second time). `post` also shows it where the
   * incident lives. Throws a UserError for an unknown incident id.
   */
  recordEvent(incidentId: string, event: NewIncidentEvent, options?: { post?: boolean }): Promise<IncidentEvent | undefined>;
  acknowledge(incident: Incident, actor: Actor): Promise<{ incident: Incident; already: boolean }>;
  escalate(incident: Incident, actor: Actor): Promise<Incident>;
  resolve(incident: Incident, summary: string, actor: Actor): Promise<{ incident: Incident; postmortem: Postmortem | undefined }>;
  postmortem(incident: Incident, actor: Actor, options?: { issue?: RepoRef }): Promise<Postmortem>;
  stats(since: number): IncidentStats;
  /** Pages, reminders and PagerDuty events due now (the timer loop calls it). */
  runDue(): Promise<void>;
  /** When something is next due, for the timer loop. */
  nextDue(): number | undefined;
  /** The shared core, for the Slack handlers (summary message, posting where the incident lives). */
  readonly core: IncidentCore;
}

export function createIncidentService(deps: IncidentDeps): IncidentService {
  const core = createIncidentCore(deps);
  const paging = createPaging(core);
  const changes = createIncidentChanges(core, paging);
  const resolution = createIncidentResolution(core, paging);
  const { repo } = core;

  const unknown = (ref: string) => {
    const open = repo.list({ open: true, limit: 5 });
    return new UserError(
      'incident_unknown',
      `There is no incident ${ref}.`,
      open.length > 0 ? `Open incidents: ${open.map((i) => i.id).join(', ')}.` : `No incident is open. \`${deps.commandPrefix} incident list all\` shows past ones.`,
    );
  };

  const at = (where: { channel: string; threadTs?: string }) => repo.byLocation(where.channel, where.threadTs);

  const service: IncidentService = {
    core,
    declare: (input, origin) => declareIncident(core, paging, input, origin),
    get: (number) => repo.get(number),
    at,
    locate(ref, where) {
      if (ref !== undefined) {
        const incident = repo.get(ref);
        if (!incident) throw unknown(`INC-${ref}`);
        return incident;
      }
      const here = at(where);
      if (here) return here;
      throw new UserError(
        'incident_not_named',
        'Which incident? This conversation is not an incident channel or thread.',
        `Name it, like \`INC-3\`; \`${deps.commandPrefix} incident list\` shows the open ones.`,
      );
    },
    list: (options) => repo.list(options),
    timeline: (incident) => repo.events(incident.number),
    update: (incident, change, actor) => changes.update(incident, change, actor),
    setSeverity: (incident, severity, actor) => changes.setSeverity(incident, severity, actor),
    assign: (incident, user, role, actor) => changes.assign(incident, user, role, actor),
    note: (incident, text, actor, options) => changes.note(incident, text, actor, options),
    async recordEvent(incidentId, event, options = {}) {
      const number = parseIncidentId(incidentId, { bare: true });
      const incident = number === undefined ? undefined : repo.get(number);
      if (!incident) throw unknown(incidentId);
      return changes.record(incident, event, { ...options, actor: event.who ? { userId: event.who, channel: null } : SYSTEM });
    },
    acknowledge: (incident, actor) => changes.acknowledge(incident, actor),
    escalate: (incident, actor) => paging.escalate(incident, actor),
    resolve: (incident, summary, actor) => resolution.resolve(incident, summary, actor),
    postmortem: (incident, actor, options) => resolution.postmortem(incident, actor, options),
    stats: (since) => incidentStats(repo.times(since), since),
    async runDue() {
      await paging.runDue();
      await deps.pagerduty?.sender.process();
    },
    nextDue() {
      const times = [repo.nextTimer(), deps.pagerduty?.sender.nextDue()].filter((t): t is number => t !== undefined);
      return times.length > 0 ? Math.min(...times) : undefined;
    },
  };
  return service;
}
