import type { IncidentMode, Severity } from '../config/policy-schema.ts';

export type { IncidentMode, Severity } from '../config/policy-schema.ts';

/** In the order an incident moves through them; any later status may be set directly. */
export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** What `/ops incident update status=…` may set; `resolved` goes through `resolve`, which asks for a summary. */
export const OPEN_STATUSES = ['investigating', 'identified', 'monitoring'] as const;

export const INCIDENT_ROLES = ['commander', 'communications', 'responder'] as const;
export type IncidentRole = (typeof INCIDENT_ROLES)[number];

export interface Incident {
  number: number;
  /** `INC-<number>`. */
  id: string;
  title: string;
  severity: Severity;
  status: IncidentStatus;
  service: string | null;
  /** What was declared (the modal's summary field, or the declaring message). */
  summary: string | null;
  /** The newest status update's text, shown on the pinned summary. */
  lastUpdate: string | null;
  commander: string;
  communications: string | null;
  /** Besides the commander and communications lead, oldest first. */
  responders: string[];
  declaredBy: string;
  mode: IncidentMode;
  /** Channel mode: the incident's own channel. Thread mode: the channel holding its thread. */
  channel: string | null;
  /** Thread mode: the thread (its root is the summary message). */
  threadTs: string | null;
  /** The summary message kept up to date (pinned in channel mode). */
  summaryTs: string | null;
  /** Channel mode: the announcement in the incidents channel, kept up to date too. */
  announceChannel: string | null;
  announceTs: string | null;
  declaredAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  /** When the status first became `monitoring` (mitigated). */
  mitigatedAt: number | null;
  resolvedAt: number | null;
  resolution: string | null;
  /** The last status update (or the declaration): reminders count from here. */
  lastUpdateAt: number;
  /** 0: the policy's `page` groups; 1: `escalate_to` as well. */
  escalationLevel: number;
  pages: number;
  /** The first page: the acknowledgement timeout counts from here. */
  pagedAt: number | null;
  nextPageAt: number | null;
  nextReminderAt: number | null;
  updatedAt: number;
}

/** One entry of an incident's timeline. */
export interface IncidentEvent {
  id: number;
  incident: number;
  at: number;
  /** Slack user id (or `system`); null when nobody in particular. */
  who: string | null;
  /** 'declared' | 'status' | 'severity' | 'role' | 'note' | 'update' | 'alert' | 'workflow' | 'playbook' | 'approval' | 'ack' | 'page' | 'escalated' | 'resolved' | … */
  kind: string;
  text: string;
  /** What the event is about when it may be reported twice; an event with a known ref is kept once. */
  ref: string | null;
}

/** What other parts of opsbot report onto a timeline (`incidents.recordEvent`). */
export interface NewIncidentEvent {
  kind: string;
  who: string | null;
  text: string;
  /** Epoch milliseconds; default now. */
  at?: number;
  ref?: string;
}

export function incidentId(number: number): string {
  return `INC-${number}`;
}

const ID = /^INC-(\d{1,9})$/i;

/** `INC-12` (any case) → 12; with `bare`, `12` too. Undefined when it is no incident id. */
export function parseIncidentId(text: string, options: { bare?: boolean } = {}): number | undefined {
  const m = ID.exec(text.trim()) ?? (options.bare ? /^#?(\d{1,9})$/.exec(text.trim()) : null);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 ? n : undefined;
}

export const STATUS_LABEL: Readonly<Record<IncidentStatus, string>> = {
  investigating: '🔍 investigating',
  identified: '🎯 identified',
  monitoring: '👀 monitoring',
  resolved: '✅ resolved',
};

export const SEVERITY_MARK: Readonly<Record<Severity, string>> = {
  P1: '🔴',
  P2: '🟠',
  P3: '🟡',
  P4: '🔵',
};
