import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertGroup } from '../../../src/alerts/alert.ts';
import { prometheusQueryTool } from '../../../src/agents/tools/prometheus-query-tool.ts';
import { ManualClock } from '../../../src/clock.ts';

const asked: URL[] = [];
const prometheus = createServer((req, res) => {
  asked.push(new URL(req.url ?? '/', 'http://localhost'));
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'api' }, values: [[1, '0.5'], [2, '0.25']] }] } }));
});
let host = '';
beforeAll(async () => {
  prometheus.listen(0, '127.0.0.1');
  await once(prometheus, 'listening');
  host = `127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => prometheus.close(() => resolve())));

const clock = new ManualClock(Date.parse('2026-11-21T08:00:00Z'));
const alertFrom = (generatorURL: string): AlertGroup => ({
  key: 'k',
  commonLabels: { alertname: 'HighErrorRate' },
  commonAnnotations: {},
  alerts: [{ status: 'firing', labels: { alertname: 'HighErrorRate' }, annotations: {}, generatorURL }],
});

describe('the Prometheus range-query tool', () => {
  it('queries the last N minutes of PROMETHEUS_URL and summarises each series', async () => {
    const tool = prometheusQueryTool({ url: `http://${host}`, clock });
    const text = await tool.run({ query: 'rate(errors[5m])', minutes: 30 }, {});

    expect(text).toBe('1 series, last 30 minutes, step 15s:\n{job="api"}: first 0.5000, min 0.2500, max 0.5000, last 0.2500 (2 points)');
    expect(Object.fromEntries(asked.at(-1)!.searchParams)).toEqual({ query: 'rate(errors[5m])', start: String(clock.now() / 1000 - 1800), end: String(clock.now() / 1000), step: '15' });
  });

  it('ignores the generator URL an alert carries unless its host is allowlisted', async () => {
    const before = asked.length;
    const refused = await prometheusQueryTool({ url: undefined, clock }).run({ query: 'up', minutes: 5 }, { alertGroup: alertFrom(`http://${host}/graph?g0.expr=up`) });
    expect(refused).toMatch(/this tool is unavailable/);
    expect(asked.length).toBe(before);

    const allowed = await prometheusQueryTool({ url: undefined, generatorHosts: [host], clock }).run({ query: 'up', minutes: 5 }, { alertGroup: alertFrom(`http://${host}/graph?g0.expr=up`) });
    expect(allowed).toMatch(/^1 series/);
    expect(asked.length).toBe(before + 1);
  });
});
