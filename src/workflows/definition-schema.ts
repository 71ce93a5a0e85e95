import { z } from 'zod';
import type { WorkflowDefinition } from './definition.ts';
import { checkReferences, checkRunRole, checkScheduleParams, checkStepIds } from './definition-checks.ts';
import { paramsSection, runRole } from './param-schema.ts';
import { playbookShape, toPlaybookSpec, withoutPlaybookKeys } from './playbook-schema.ts';
import { type Ctx, expecting, mapping, matching, text } from './schema-kit.ts';
import { stepSchema } from './step-schema.ts';
import { concurrencySchema, triggersSchema } from './trigger-schema.ts';

/**
 * The YAML form of a workflow (`workflows/<name>.yaml`) and of a playbook (`playbooks/`), and the
 * zod schema turning it into a WorkflowDefinition (definition.ts). Keys are snake_case, the result
 * camelCase with durations in milliseconds. Every mapping is strict: an unknown key is an error,
 * because a typo (`continue_on_eror`) must not silently change what a run does.
 *
 * ```yaml
 * name: deploy                     # kebab-case, the file's name without .yaml
 * description: Build, test and roll out a service
 * params:                          # the run's inputs: `/ops workflow run deploy service=api version=v2.3.0`
 *   service: { type: string, required: true, enum: [api, web] }
 *   version: { type: string, required: true, pattern: 'v\d+\.\d+\.\d+', description: release tag }
 *   env: { type: string, default: staging, enum: [staging, production] }
 *   replicas: { type: number, default: 3 }
 *   dry: { type: boolean, default: false }
 * role:                            # or just `role: deployer`
 *   default: responder             # who may run it…
 *   by_param: env                  # …unless this param (it needs an enum)…
 *   values: { production: deployer }  # …takes one of these values
 * concurrency:                     # one run per key at a time; the others queue (default) or are refused
 *   key: ${{ params.service }}-${{ params.env }}
 *   mode: queue
 * triggers:                        # all optional
 *   command: true                  # /ops workflow run (default true)
 *   schedule:
 *     - { cron: '0 9 * * 1-5', timezone: Europe/Berlin, params: { service: api, version: v1.0.0 } }
 *   webhook: { token_env: DEPLOY_WEBHOOK_TOKEN }   # POST /webhooks/workflows/deploy, bearer token from that variable
 * steps:                           # each step: an id (unique in the file) and exactly one of action, approval, wait, parallel
 *   - id: build
 *     action: shell
 *     with: { argv: [make, build, 'VERSION=${{ params.version }}'] }
 *     timeout: 10m
 *     retries: { max: 2, backoff: 10s, max_backoff: 1m }   # or `retries: 2`
 *     outputs: { image: '${{ result.stdout }}' }
 *   - id: smoke
 *     action: http
 *     with: { url: 'https://${{ item }}.example.com/${{ params.service }}/health' }
 *     for_each: ${{ ['eu', 'us'] }}    # one run of the action per item (`item` in expressions)…
 *     for_each_concurrency: 2          # …at most this many at once (default 1)
 *   - id: approve
 *     when: ${{ params.env == 'production' }}
 *     approval:
 *       approvers: { users: [U012ABCDEF], groups: [S0123ABCD], roles: [deployer] }
 *       min: 1                     # distinct approvers needed (default 1)
 *       expires: 1h                # default 24h
 *       message: Roll out ${{ params.version }} to production?
 *   - id: soak
 *     wait: 10m
 *   - id: rollout
 *     parallel:                    # branches run side by side, then join
 *       - [ { id: eu, action: shell, with: { argv: [deploy, eu, '${{ steps.build.outputs.image }}'] } } ]
 *       - [ { id: us, action: shell, with: { argv: [deploy, us, '${{ steps.build.outputs.image }}'] } } ]
 *     continue_on_error: false
 *     undo: { action: shell, with: { argv: [rollback, '${{ params.service }}'] } }
 * ```
 *
 * `${{ … }}` holds a CEL expression; `when` and `for_each` must be one whole template. Templates
 * may read `params`, `steps.<id>.outputs` of steps that ran before, `result` (in `outputs`) and
 * `item` (under `for_each`). The loader adds what needs the file and the action catalog (the name
 * matching the file, known action names, each step's line).
 *
 * The parts are assembled here from param-schema.ts (params, role), trigger-schema.ts (triggers,
 * concurrency), step-schema.ts and template-schema.ts; definition-checks.ts holds the checks across
 * fields (unique ids, references). A playbook adds the keys of playbook-schema.ts (match, risk,
 * remediation, autorun, params_from_alert); under workflows/ those keys are errors.
 */

export type WorkflowDocument = Omit<WorkflowDefinition, 'file' | 'source'>;

export { DEFAULT_APPROVAL_EXPIRY_MS, DEFAULT_BACKOFF_MS, DEFAULT_MAX_BACKOFF_MS, MAX_APPROVERS, MAX_FOR_EACH_CONCURRENCY, MAX_RETRIES, walkSteps } from './step-schema.ts';

const WORKFLOW_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

const workflowShape = {
  name: matching(WORKFLOW_NAME, 'a kebab-case name like deploy-api'),
  description: text('a one-line description'),
  params: paramsSection.optional(),
  role: runRole,
  concurrency: concurrencySchema.optional(),
  triggers: triggersSchema.optional(),
  steps: z.array(stepSchema, { error: expecting('a list of steps') }).min(1, { error: 'expected at least one step' }),
};

const workflowMapping = mapping(workflowShape, 'a workflow');

function toDocument(raw: z.output<typeof workflowMapping>, ctx: Ctx): WorkflowDocument {
  const params = raw.params ?? {};
  const triggers = raw.triggers ?? { command: true, schedules: [] };
  checkRunRole(raw.role, params, ctx);
  triggers.schedules = triggers.schedules.map((schedule, i) => ({ ...schedule, params: checkScheduleParams(schedule.params, params, i, ctx) }));
  checkStepIds(raw.steps, ctx);
  checkReferences(raw.steps, params, raw.concurrency, ctx);
  const doc: WorkflowDocument = { name: raw.name, description: raw.description, params, run: raw.role, triggers, steps: raw.steps };
  if (raw.concurrency !== undefined) doc.concurrency = raw.concurrency;
  return doc;
}

/** A file under workflows/: the playbook keys are refused there (playbook-schema.ts). */
export const workflowDocumentSchema: z.ZodType<WorkflowDocument, unknown> = withoutPlaybookKeys(workflowMapping.transform(toDocument));

/** A file under playbooks/: the workflow plus the playbook keys of playbook-schema.ts. */
export const playbookDocumentSchema: z.ZodType<WorkflowDocument, unknown> = mapping({ ...workflowShape, ...playbookShape }, 'a playbook').transform(
  (raw, ctx): WorkflowDocument => ({ ...toDocument(raw, ctx), playbook: toPlaybookSpec(raw, raw.params ?? {}, ctx) }),
);
