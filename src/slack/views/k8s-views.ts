import type { Button } from '@slack/types';
import { clip, context, escapeMrkdwn, header, section, sectionsOf } from '../../commands/blocks.ts';
import { utcTime } from '../../commands/time-format.ts';
import type { ClusterStatus, DescribeResult, EventSummary, KubeTarget, PodSummary, RolloutStatus, WriteResult } from '../../integrations/kubernetes/kube-types.ts';
import type { Block, MessageContent } from '../chat-port.ts';
import { button } from './workflow-views.ts';

/**
 * Pure Block Kit builders for `/ops k8s …`. Buttons are commands (workflow-views.ts `button`):
 * a click runs the same command with the same role checks as typing it.
 */

/** Bad pods that get Logs / Describe buttons; one actions block each, well inside 50 blocks. */
const PODS_WITH_BUTTONS = 10;
const RESTART_BUTTONS = 5;

export function targetText(t: KubeTarget): string {
  return `${t.context}/${t.namespace} (${t.environment})`;
}

/** `ns=… context=…` so a button's command acts on exactly what was shown. */
function where(t: KubeTarget): string {
  return `ns=${t.namespace} context=${t.context}`;
}

const code = (text: string) => `\`${escapeMrkdwn(text)}\``;

export function podLine(p: PodSummary): string {
  const reason = p.reason ? ` · *${escapeMrkdwn(p.reason)}*` : '';
  const restarts = p.restarts > 0 ? ` · ${p.restarts} restart${p.restarts === 1 ? '' : 's'}` : '';
  const oom = p.containers.filter((c) => c.lastTerminationReason === 'OOMKilled' && c.reason !== 'OOMKilled').map((c) => c.name);
  const last = oom.length > 0 && p.reason !== 'OOMKilled' ? ` · last run OOMKilled (${oom.join(', ')})` : '';
  return `${p.unhealthy ? '🔴' : '🟢'} ${code(p.name)} ${p.phase} ${p.ready}${reason}${restarts}${last}${p.node ? ` · ${escapeMrkdwn(p.node)}` : ''}`;
}

export function eventLine(e: EventSummary): string {
  const when = e.lastSeen !== undefined ? `${utcTime(e.lastSeen)} ` : '';
  return `${e.type === 'Warning' ? '⚠️' : 'ℹ️'} ${when}*${escapeMrkdwn(e.reason)}* ${code(e.object)}${e.count > 1 ? ` ×${e.count}` : ''}: ${escapeMrkdwn(clip(e.message, 300))}`;
}

export function statusView(status: ClusterStatus): MessageContent {
  const t = status.target;
  const title = `Kubernetes status: ${targetText(t)}`;
  const healthy = status.badPods.length === 0 && status.deploymentsUnavailable.length === 0 && status.nodesNotReady.length === 0;
  const blocks: Block[] = [header(title)];
  const text: string[] = [title];

  if (status.nodesNotReady.length > 0) {
    const lines = status.nodesNotReady.map((n) => `🔴 ${code(n.name)}: ${escapeMrkdwn(n.problems.join(', '))}`);
    blocks.push(...sectionsOf(lines, '*Nodes not ready*'));
    text.push(`Nodes not ready: ${status.nodesNotReady.map((n) => n.name).join(', ')}`);
  }
  if (status.deploymentsUnavailable.length > 0) {
    const lines = status.deploymentsUnavailable.map((d) => `🟠 ${code(d.name)}: ${d.available}/${d.replicas} available, ${d.unavailable} unavailable · ${escapeMrkdwn(d.images.join(', '))}${d.revision ? ` · revision ${d.revision}` : ''}`);
    blocks.push(...sectionsOf(lines, '*Deployments with unavailable replicas*'));
    text.push(`Deployments with unavailable replicas: ${status.deploymentsUnavailable.map((d) => `${d.name} (${d.available}/${d.replicas})`).join(', ')}`);
  }
  if (status.badPods.length > 0) {
    blocks.push(section(`*Pods not running well (${status.badPods.length})*`));
    status.badPods.slice(0, PODS_WITH_BUTTONS).forEach((p, i) => {
      blocks.push(section(podLine(p)), { type: 'actions', block_id: `k8s-pod-${i}`, elements: podButtons(p, t, i) });
    });
    const rest = status.badPods.slice(PODS_WITH_BUTTONS);
    if (rest.length > 0) blocks.push(...sectionsOf(rest.map(podLine)), context(`Buttons for the first ${PODS_WITH_BUTTONS}; \`k8s logs <pod>\` and \`k8s describe pod/<pod>\` for the others.`));
    text.push(...status.badPods.map((p) => `${p.name}: ${p.reason ?? p.phase}, ${p.restarts} restarts`));
  }
  const restartable = [...new Set([...status.badPods.flatMap((p) => (p.deployment ? [p.deployment] : [])), ...status.deploymentsUnavailable.map((d) => d.name)])].slice(0, RESTART_BUTTONS);
  if (restartable.length > 0) blocks.push({ type: 'actions', block_id: 'k8s-restart', elements: restartable.map((d) => restartButton(d, t)) });
  if (status.warnings.length > 0) {
    blocks.push(...sectionsOf(status.warnings.map(eventLine), '*Recent warning events*'));
    text.push(`${status.warnings.length} recent warning events`);
  }
  if (healthy) {
    blocks.push(section('✅ All pods are running and ready, every deployment has its replicas, and every node is ready.'));
    text.push('All healthy.');
  }
  for (const note of status.notes ?? []) blocks.push(context(escapeMrkdwn(note)));
  return { text: text.join('\n'), blocks };
}

function podButtons(p: PodSummary, t: KubeTarget, i: number): Button[] {
  // A pod that restarted has the interesting lines in its previous run.
  const previous = p.restarts > 0 ? ' previous' : '';
  return [button(`k8s-logs-${i}`, previous ? 'Logs (previous run)' : 'Logs', `k8s logs ${p.name}${previous} ${where(t)}`), button(`k8s-describe-${i}`, 'Describe', `k8s describe pod/${p.name} ${where(t)}`)];
}

export function restartButton(deployment: string, t: KubeTarget): Button {
  return button(`k8s-restart-${deployment}`, `Restart ${deployment}`, `k8s restart deployment/${deployment} ${where(t)}`, 'danger', {
    title: 'Restart the deployment?',
    text: `Every pod of *${escapeMrkdwn(deployment)}* in ${escapeMrkdwn(targetText(t))} is replaced, a few at a time.`,
    confirm: 'Restart',
  });
}

export function podsView(target: KubeTarget, pods: readonly PodSummary[], selector?: string): MessageContent {
  const title = `Pods in ${targetText(target)}${selector ? ` matching ${selector}` : ''}: ${pods.length}`;
  if (pods.length === 0) return { text: `${title}.`, blocks: [section(`${escapeMrkdwn(title)}.`)] };
  const bad = pods.filter((p) => p.unhealthy).length;
  return {
    text: [title, ...pods.map((p) => `${p.name} ${p.phase} ${p.ready} ${p.reason ?? ''} restarts=${p.restarts}`)].join('\n'),
    blocks: [header(clip(title, 150)), ...sectionsOf(pods.map(podLine)), context(bad > 0 ? `${bad} not running well. \`k8s logs <pod>\` · \`k8s describe pod/<pod>\`` : 'All running and ready.')],
  };
}

export function describeView(target: KubeTarget, result: DescribeResult): MessageContent {
  const title = `${result.kind} ${result.name} in ${targetText(target)}`;
  const events = result.events.length > 0 ? sectionsOf(result.events.map(eventLine), '*Events*') : [context('No events.')];
  return {
    text: [title, ...result.lines, ...result.events.map((e) => `${e.type} ${e.reason}: ${e.message}`)].join('\n'),
    blocks: [header(clip(title, 150)), ...codeSections(result.lines), ...events, context('Environment values are masked; Secrets are never read.')],
  };
}

/** Lines in code blocks, split at Slack's section limit. */
function codeSections(lines: readonly string[]): Block[] {
  const blocks: Block[] = [];
  let chunk: string[] = [];
  let size = 0;
  const flush = () => {
    if (chunk.length > 0) blocks.push(section('```' + chunk.join('\n') + '```'));
    chunk = [];
    size = 0;
  };
  for (const line of lines) {
    // Measured escaped, so the closing fence always fits in the section.
    const shown = escapeMrkdwn(clip(line, 1_500)).replace(/```/g, "'''");
    if (size + shown.length + 1 > 2_900) flush();
    chunk.push(shown);
    size += shown.length + 1;
  }
  flush();
  return blocks;
}

export function eventsView(target: KubeTarget, events: readonly EventSummary[], object?: string): MessageContent {
  const title = `Events in ${targetText(target)}${object ? ` for ${object}` : ''}: ${events.length}`;
  if (events.length === 0) return { text: `${title}.`, blocks: [section(`${escapeMrkdwn(title)}.`)] };
  return { text: [title, ...events.map((e) => `${e.type} ${e.reason} ${e.object}: ${e.message}`)].join('\n'), blocks: [header(clip(title, 150)), ...sectionsOf(events.map(eventLine))] };
}

export function rolloutView(target: KubeTarget, status: RolloutStatus): MessageContent {
  const mark = status.done ? '✅' : status.failed ? '❌' : '⏳';
  const text = `${mark} ${status.message}${status.revision ? ` (revision ${status.revision})` : ''} · ${targetText(target)}`;
  return { text, blocks: [section(escapeMrkdwn(text))] };
}

export type WriteVerb = 'restart' | 'scale' | 'rollback' | 'set-image';

/** The public answer to a write: who did what where, before → after, and DRY RUN when nothing changed. */
export function writeView(verb: WriteVerb, result: WriteResult, actor: string, dryRunMode: boolean): MessageContent {
  const t = result.target;
  const dep = code(`deployment/${result.name}`);
  const dry = result.dryRun ? '*DRY RUN* · ' : '';
  let what: string;
  switch (verb) {
    case 'restart':
      what = `restarted ${dep}: its pods are replaced one by one`;
      break;
    case 'scale':
      what = `scaled ${dep} from ${result.before.replicas ?? '?'} to ${result.after.replicas ?? '?'} replicas`;
      break;
    case 'rollback':
      what = result.note ? `asked to roll back ${dep}: ${escapeMrkdwn(result.note)}` : `rolled ${dep} back to revision ${result.after.revision ?? '?'}`;
      break;
    case 'set-image':
      what = `set the image of ${dep} to ${code((result.after.images ?? []).join(', '))}`;
      break;
  }
  const icon = verb === 'rollback' ? '↩️' : verb === 'scale' ? '📏' : verb === 'restart' ? '🔄' : '🚀';
  const line = `${icon} ${dry}<@${actor}> ${what} in ${escapeMrkdwn(targetText(t))}.`;
  const changes = changeLines(result);
  const note = result.dryRun ? (dryRunMode ? 'DRY_RUN is on: the API server checked the change (dryRun=All) and nothing was changed.' : 'Dry run: nothing was changed.') : undefined;
  return {
    text: [line, ...changes, ...(note ? [note] : [])].join('\n'),
    blocks: [section(line), ...(changes.length > 0 ? [context(escapeMrkdwn(changes.join(' · ')))] : []), ...(note ? [context(note)] : [])],
  };
}

function changeLines(result: WriteResult): string[] {
  const b = result.before;
  const a = result.after;
  const lines: string[] = [];
  if (b.replicas !== a.replicas) lines.push(`replicas ${b.replicas ?? '?'} → ${a.replicas ?? '?'}`);
  const before = (b.images ?? []).join(', ');
  const after = (a.images ?? []).join(', ');
  lines.push(before === after ? `image ${before}` : `image ${before} → ${after}`);
  if (b.revision !== a.revision) lines.push(`revision ${b.revision ?? '?'} → ${a.revision ?? '?'}`);
  else if (b.revision) lines.push(`revision ${b.revision}`);
  return lines;
}

export function contextsView(contexts: ReadonlyArray<{ name: string; environment: string; namespaces: string[] }>): MessageContent {
  if (contexts.length === 0) return { text: 'No Kubernetes context is allowed; opsbot.yaml lists none under kubernetes.contexts.' };
  const lines = contexts.map((c) => `${code(c.name)} (${c.environment}): ${c.namespaces.map(code).join(', ') || 'no namespaces'}`);
  return { text: ['Kubernetes contexts opsbot may use:', ...lines].join('\n'), blocks: sectionsOf(lines, '*Kubernetes contexts opsbot may use*') };
}

const logLine = (line: string) => escapeMrkdwn(line).replace(/```/g, "'''");

/** Whether the whole log fits in one message of `maxChars` (as Slack will count it, escaped). */
export function logsFit(text: string, maxChars: number): boolean {
  return text.replace(/\n$/, '').split('\n').reduce((size, line) => size + logLine(line).length + 1, 0) <= maxChars;
}

/** Log text in a code block, with the lines kept (from the end) that fit in `maxChars` once escaped for Slack. */
export function logsView(target: KubeTarget, pod: string, text: string, options: { maxChars: number; why?: string }): MessageContent {
  const lines = text.replace(/\n$/, '').split('\n');
  const kept: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const shown = logLine(lines[i] as string);
    if (size + shown.length + 1 > options.maxChars) break;
    kept.unshift(shown);
    size += shown.length + 1;
  }
  const empty = text.trim() === '';
  const title = `Logs of ${pod} in ${targetText(target)}${empty ? '' : kept.length < lines.length ? `: the last ${kept.length} of ${lines.length} lines` : `: ${lines.length} lines`}`;
  const body = empty ? '(no output)' : kept.join('\n');
  const blocks: Block[] = [section(`*${escapeMrkdwn(title)}*`), section('```' + body + '```')];
  if (options.why) blocks.push(context(escapeMrkdwn(options.why)));
  return { text: title, blocks };
}
