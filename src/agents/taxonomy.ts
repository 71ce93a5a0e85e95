import { z } from 'zod';
import { SEVERITIES, type Severity } from '../config/policy-schema.ts';

export { SEVERITIES, type Severity };

/**
 * The fixed vocabularies agents answer in, online and offline alike, so a reply, a stored run
 * and a benchmark table can be compared word for word.
 */

export const CATEGORIES = [
  'availability',
  'errors',
  'latency',
  'saturation',
  'capacity',
  'deployment',
  'configuration',
  'certificate',
  'network',
  'storage',
  'control-plane',
  'data',
  'other',
] as const;
export type Category = (typeof CATEGORIES)[number];
export const categorySchema = z.enum(CATEGORIES);

/**
 * What kind of remediation fits, before any playbook is chosen: a playbook or catalog action
 * implements one of these; `investigate` means human diagnosis, `none` means nothing to do.
 */
export const REMEDIATIONS = [
  'restart-workload',
  'rollback-deploy',
  'scale-out',
  'raise-limits',
  'add-capacity',
  'free-disk',
  'renew-certificate',
  'fix-config',
  'rerun-job',
  'investigate',
  'none',
] as const;
export type Remediation = (typeof REMEDIATIONS)[number];
export const remediationSchema = z.enum(REMEDIATIONS);

export const severitySchema = z.enum(SEVERITIES);

/** P1 is the most severe; a lower rank is worse. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** The worse of two severities: a model may raise a severity, never lower it. */
export function worstSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) <= severityRank(b) ? a : b;
}

/**
 * The alert's own `severity` label → an incident severity. `undefined` means the alert is never
 * triaged (`severity: none`, as on Watchdog and InfoInhibitor). Unknown labels are treated as
 * warnings: an alert someone bothered to route deserves a look, not silence.
 */
export function severityFromAlert(label: string | undefined, customerFacing: boolean): Severity | undefined {
  const value = (label ?? '').trim().toLowerCase();
  if (value === 'none') return undefined;
  if (value === 'critical' || value === 'page' || value === 'error' || value === 'high') return customerFacing ? 'P1' : 'P2';
  if (value === 'info' || value === 'informational' || value === 'low') return 'P4';
  return 'P3';
}
