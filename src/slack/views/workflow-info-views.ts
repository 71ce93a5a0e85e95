import { BLOCKS_MAX, context, escapeMrkdwn, header, section, sectionsOf } from '../../commands/blocks.ts';
import { slackTime, utcTime } from '../../commands/time-format.ts';
import { formatDuration } from '../../duration.ts';
import type { WorkflowRunSummary } from '../../store/types.ts';
import type { ParamDefinition, RunRole, Step, WorkflowDefinition } from '../../workflows/definition.ts';
import type { Block, MessageContent } from '../chat-port.ts';
import { approversText, paramsText, runStatusText } from './workflow-views.ts';

/** Pure builders for `workflow list`, `describe` and `history`. */

export function workflowListView(definitions: readonly WorkflowDefinition[], commandPrefix: string): MessageContent {
  const sorted = [...definitions].sort((a, b) => a.name.localeCompare(b.name));
  const workflows = sorted.filter((d) => d.source === 'workflow');
  const playbooks = sorted.filter((d) => d.source === 'playbook');
  if (sorted.length === 0) return { text: 'No workflows are defined yet: add YAML files to workflows/ and restart opsbot.' };
  const line = (d: WorkflowDefinition) => `• *${escapeMrkdwn(d.name)}* — ${escapeMrkdwn(d.description)} · needs ${roleText(d.run)}${d.triggers.command ? '' : ' · not runnable by command'}`;
  const blocks: Block[] = [
    header('Workflows'),
    ...sectionsOf(workflows.map(line)),
    ...(playbooks.length > 0 ? sectionsOf(playbooks.map(line), '*Playbooks* (triggered by alerts)') : []),
    context(`\`${commandPrefix} workflow describe &lt;name&gt;\` shows a workflow's params and steps; \`${commandPrefix} workflow run &lt;name&gt; key=value…\` starts it.`),
  ];
  const text = ['Workflows:', ...sorted.map((d) => `${d.name}: ${d.description}`)].join('\n');
  return { text, blocks: blocks.slice(0, BLOCKS_MAX) };
}

export function workflowDescribeView(def: WorkflowDefinition, commandPrefix: string): MessageContent {
  const required = Object.entries(def.params).filter(([, p]) => p.required && p.default === undefined);
  const example = `${commandPrefix} workflow run ${def.name}${required.map(([name]) => ` ${name}=<${name}>`).join('')}`;
  const params = Object.entries(def.params).map(([name, p]) => paramLine(name, p));
  const blocks: Block[] = [
    header(`Workflow ${def.name}`),
    section(`${escapeMrkdwn(def.description)}\n*Run:* \`${escapeMrkdwn(example)}\`\n*Needs:* ${roleText(def.run)}`),
    ...(params.length > 0 ? sectionsOf(params, '*Params*') : [section('*Params:* none')]),
    ...sectionsOf(stepLines(def.steps, 0), '*Steps*'),
    section(`*Triggers:*\n${triggerLines(def).join('\n')}`),
    context(`Defined in ${escapeMrkdwn(def.file)}${def.source === 'playbook' ? ' (a playbook: alerts trigger it)' : ''}`),
  ];
  const text = [`${def.name}: ${def.description}`, `Run: ${example}`, `Needs: ${roleText(def.run).replace(/\*/g, '')}`].join('\n');
  return { text, blocks: blocks.slice(0, BLOCKS_MAX) };
}

/** `*responder* (env=production: *deployer*)`. */
export function roleText(run: RunRole): string {
  if (!('byParam' in run)) return `*${run.role}*`;
  const per = Object.entries(run.values).map(([value, role]) => `${run.byParam}=${value}: *${role}*`);
  return `*${run.role}*${per.length > 0 ? ` (${per.join(', ')})` : ''}`;
}

function paramLine(name: string, p: ParamDefinition): string {
  const facts = [p.type, p.required && p.default === undefined ? 'required' : 'optional'];
  const details = [
    ...(p.description ? [escapeMrkdwn(p.description)] : []),
    ...(p.enum ? [`one of ${p.enum.map((v) => `\`${escapeMrkdwn(String(v))}\``).join(', ')}`] : []),
    ...(p.pattern ? [`matches \`${escapeMrkdwn(p.pattern)}\``] : []),
    ...(p.default !== undefined ? [`default \`${escapeMrkdwn(String(p.default))}\``] : []),
  ];
  return `• *${name}* (${facts.join(', ')})${details.length > 0 ? ` — ${details.join(' · ')}` : ''}`;
}

function stepLines(steps: readonly Step[], depth: number): string[] {
  const indent = '    '.repeat(depth);
  return steps.flatMap((step, i) => {
    const name = step.name && step.name !== step.id ? ` — ${escapeMrkdwn(step.name)}` : '';
    const extras = [
      ...(step.when ? [`when \`${escapeMrkdwn(step.when)}\``] : []),
      ...(step.retry ? [`${step.retry.max} retries`] : []),
      ...(step.timeoutMs ? [`timeout ${formatDuration(step.timeoutMs)}`] : []),
      ...(step.continueOnError ? ['continues on error'] : []),
      ...(step.undo ? [`undo: ${step.undo.action}`] : []),
    ];
    const head = `${indent}${depth === 0 ? `${i + 1}.` : '•'} \`${step.id}\`${name} · ${stepKindText(step)}${extras.length > 0 ? ` · ${extras.join(' · ')}` : ''}`;
    if (step.kind !== 'parallel') return [head];
    return [head, ...step.branches.flatMap((branch, b) => [`${indent}    _branch ${b + 1}_`, ...stepLines(branch, depth + 2)])];
  });
}

function stepKindText(step: Step): string {
  switch (step.kind) {
    case 'action':
      return step.forEach ? `${step.action} for each item (${step.forEach.concurrency} at a time)` : step.action;
    case 'approval':
      return `approval by ${approversText(step.approvers)} (${step.min} needed, expires after ${formatDuration(step.expiresMs)})`;
    case 'wait':
      return `wait ${formatDuration(step.durationMs)}`;
    case 'parallel':
      return `${step.branches.length} branches in parallel`;
  }
}

function triggerLines(def: WorkflowDefinition): string[] {
  const lines = [def.triggers.command ? '• `workflow run` command' : '• not runnable by command'];
  for (const s of def.triggers.schedules) {
    const params = paramsText(s.params);
    lines.push(`• schedule \`${escapeMrkdwn(s.cron)}\`${s.timezone ? ` (${s.timezone})` : ''}${params ? ` with \`${escapeMrkdwn(params)}\`` : ''}`);
  }
  if (def.triggers.webhook) lines.push(`• \`POST /webhooks/workflows/${def.name}\` with the token in \`${def.triggers.webhook.tokenEnv}\``);
  if (def.concurrency) {
    lines.push(`• one run at a time per \`${escapeMrkdwn(def.concurrency.key)}\`; others are ${def.concurrency.mode === 'queue' ? 'queued' : 'refused'}`);
  }
  return lines;
}

export function workflowHistoryView(runs: readonly WorkflowRunSummary[], workflow: string | undefined): MessageContent {
  const title = workflow ? `Recent runs of ${workflow}` : 'Recent workflow runs';
  if (runs.length === 0) return { text: workflow ? `${workflow} has not run yet.` : 'No workflow has run yet.' };
  const line = (r: WorkflowRunSummary, time: string) => {
    const params = paramsText(r.params);
    return `\`${r.id}\` *${escapeMrkdwn(r.workflow)}* ${runStatusText(r.status)} · <@${r.requestedBy}> · ${time}${params ? ` · \`${escapeMrkdwn(params)}\`` : ''}`;
  };
  return {
    text: [title, ...runs.map((r) => `${r.id} ${r.workflow} ${r.status} by <@${r.requestedBy}> at ${utcTime(r.createdAt)}`)].join('\n'),
    blocks: [header(title), ...sectionsOf(runs.map((r) => line(r, slackTime(r.createdAt)))), context('Newest first. `workflow status &lt;run&gt;` shows one run in full.')].slice(0, BLOCKS_MAX),
  };
}
