import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OpsError } from '../../../src/errors.ts';
import { createWaitUntilAction } from '../../../src/workflows/actions/wait-until.ts';
import { runUntilSettled } from '../../support/chat-rig.ts';
import { actionContext } from './action-context.ts';

const waitUntil = createWaitUntilAction();
const start = (input: Record<string, unknown>, ctx = actionContext()) => {
  const running = waitUntil.run(waitUntil.parse(input), ctx);
  running.catch(() => {}); // it may reject while the clock moves, before an assertion looks
  return running;
};

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  if (server) await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A health endpoint answering 503 `unready` times, then 200 with `{ ready: true }`. */
async function healthAfter(unready: number): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  server = createServer((_req, res) => {
    hits++;
    if (hits <= unready) {
      res.writeHead(503).end('starting');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ready":true}');
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`, hits: () => hits };
}

describe('wait-until polls its condition by the clock', () => {
  it('finishes on the first poll where the condition holds', async () => {
    const ctx = actionContext();
    ctx.scope.steps.rollout = { status: 'done', outputs: { phase: 'progressing' } };
    const running = start({ condition: "${{ steps.rollout.outputs.phase == 'complete' }}", interval: '10s' }, ctx);
    let done = false;
    void running.then(() => (done = true));

    await ctx.clock.advance(10_000);
    await ctx.clock.advance(10_000);
    expect(done).toBe(false);
    ctx.scope.steps.rollout = { status: 'done', outputs: { phase: 'complete' } };
    await ctx.clock.advance(10_000);
    expect(await running).toEqual({ result: { met: true, polls: 4, waitedMs: 30_000 } });
  });

  it('fails with wait_timeout when the condition never holds', async () => {
    const ctx = actionContext();
    ctx.scope.params.ready = false;
    const running = start({ condition: '${{ params.ready }}', interval: '10s', timeout: '30s' }, ctx);
    await ctx.clock.advance(30_000);
    await expect(running).rejects.toMatchObject({ code: 'wait_timeout', message: 'wait-until: ${{ params.ready }} did not hold within 30s (4 polls)' });
  });

  it('counts a condition that cannot be evaluated yet as not yet, and says why when it times out', async () => {
    const ctx = actionContext();
    const running = start({ condition: '${{ steps.deploy.outputs.ready }}', interval: '1m', timeout: '2m' }, ctx);
    await ctx.clock.advance(60_000);
    ctx.scope.steps.deploy = { status: 'done', outputs: { ready: true } };
    await ctx.clock.advance(60_000);
    expect((await running).result).toMatchObject({ met: true, polls: 3 });

    const later = actionContext();
    const never = start({ condition: '${{ steps.deploy.outputs.ready }}', interval: '1m', timeout: '1m' }, later);
    await later.clock.advance(60_000);
    await expect(never).rejects.toMatchObject({ code: 'wait_timeout', message: /last evaluation failed: .*deploy/ });
  });

  it('refuses a condition that is not true or false', async () => {
    const ctx = actionContext();
    ctx.scope.params.replicas = 3;
    await expect(start({ condition: '${{ params.replicas }}' }, ctx)).rejects.toMatchObject({ code: 'wait_condition_not_boolean' });
  });

  it('stops waiting when the step is cancelled', async () => {
    const ctx = actionContext();
    ctx.scope.params.ready = false;
    const running = start({ condition: '${{ params.ready }}' }, ctx);
    await ctx.clock.advance(10_000);
    const reason = new OpsError('run_cancelled', 'cancelled');
    ctx.cancel(reason);
    await expect(running).rejects.toBe(reason);
  });
});

describe('wait-until with an HTTP probe', () => {
  it('gives the condition each answer as `probe`', async () => {
    const health = await healthAfter(2);
    const ctx = actionContext();
    const running = start(
      { condition: '${{ probe.status == 200 && probe.json.ready }}', interval: '10s', http: { url: health.url, timeout: '1h' } },
      ctx,
    );
    const { result } = await runUntilSettled(ctx.clock, running);
    expect(result).toMatchObject({ met: true, polls: 3, probe: { status: 200, json: { ready: true } } });
    expect(health.hits()).toBe(3);
  });

  it('shows a probe that got no answer as status 0 with the reason', async () => {
    const probeServer = createServer();
    await new Promise<void>((resolve) => probeServer.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(probeServer.address() as AddressInfo).port}/`;
    await new Promise((resolve) => probeServer.close(resolve));
    const { result } = await start({ condition: '${{ probe.status == 0 }}', http: { url } });
    expect(result.probe).toMatchObject({ status: 0, error: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('only reads: a probe may not POST or carry a body', () => {
    expect(() => waitUntil.parse({ condition: '${{ true }}', http: { url: 'http://x/', method: 'POST' } })).toThrow(/`with\.http\.method` must be one of GET, HEAD/);
    expect(() => waitUntil.parse({ condition: '${{ true }}', http: { url: 'http://x/', body: 'x' } })).toThrow(/unknown key `with\.http\.body`/);
  });
});

describe('wait-until as the engine sees it', () => {
  it('is idempotent and asks for its condition unevaluated', () => {
    expect(waitUntil).toMatchObject({ name: 'wait-until', idempotent: true, rawInputs: ['condition'] });
  });

  it('wants the condition as one ${{ }} expression, and an interval of at least a second', () => {
    expect(() => waitUntil.parse({ condition: 'ready' })).toThrow(/`with\.condition` must be one `\$\{\{ … \}\}` expression/);
    expect(() => waitUntil.parse({ condition: '${{ a }} and ${{ b }}' })).toThrow(/`with\.condition` must be one/);
    expect(() => waitUntil.parse({ condition: '${{ ready }}', interval: '100ms' })).toThrow(/`with\.interval` must be at least 1s/);
    expect(waitUntil.parse({ condition: '${{ ready }}' })).toEqual({ condition: '${{ ready }}', intervalMs: 10_000, timeoutMs: 600_000 });
  });

  it('in a dry run, polls once and reports without waiting', async () => {
    const ctx = actionContext({ dryRun: true });
    ctx.scope.params.ready = false;
    const { result, log } = await start({ condition: '${{ params.ready }}' }, ctx);
    expect(result).toEqual({ met: false, polls: 1, waitedMs: 0, dryRun: true });
    expect(log).toBe('would wait until ${{ params.ready }}; it does not hold yet');
  });
});
