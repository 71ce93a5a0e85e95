import { z } from 'zod';
import type { Clock } from '../../clock.ts';
import { defineTool, type ReadOnlyTool, type ToolContext } from '../read-only-tool.ts';

const MAX_SERIES = 20;
const MAX_WINDOW_MINUTES = 24 * 60;
/** Points per series the answer is computed from; Prometheus refuses more than 11,000. */
const TARGET_POINTS = 120;

const input = z.object({
  query: z.string().min(1).max(2_000).describe('PromQL expression'),
  minutes: z.number().int().min(1).max(MAX_WINDOW_MINUTES).default(60).describe('How far back from now, in minutes (default 60)'),
});

interface MatrixResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
}

/**
 * A Prometheus range query (`/api/v1/query_range`), summarised per series (first, min, max, last)
 * so a day of data fits in a few lines. The server is PROMETHEUS_URL, or else the alert's own
 * generator URL when its host is allowlisted; the model can choose the query, never the server.
 */
export function prometheusQueryTool(options: {
  url: string | undefined;
  /** Hosts (`host` or `host:port`) an alert's generator URL may point the tool at when `url` is unset. */
  generatorHosts?: readonly string[];
  clock: Clock;
  timeoutMs?: number;
  fetch?: typeof fetch;
}): ReadOnlyTool {
  const doFetch = options.fetch ?? fetch;
  return defineTool({
    name: 'prometheus_query_range',
    description: 'Run a PromQL range query over the last N minutes and get each series summarised (first, min, max, last value). Read-only.',
    input,
    agents: ['triage', 'fix'],
    async run(args, context) {
      const base = serverFor(options.url, options.generatorHosts ?? [], context);
      if (base === undefined) return 'No Prometheus is configured (PROMETHEUS_URL) and the alert has no generator URL on a host listed in agents.tools.generator_url_hosts; this tool is unavailable.';
      const end = options.clock.now() / 1000;
      const start = end - args.minutes * 60;
      const step = Math.max(15, Math.ceil((args.minutes * 60) / TARGET_POINTS));
      const url = new URL('api/v1/query_range', base.endsWith('/') ? base : `${base}/`);
      url.search = new URLSearchParams({ query: args.query, start: String(start), end: String(end), step: String(step) }).toString();
      const response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000), headers: { accept: 'application/json' } });
      const body = (await response.json().catch(() => undefined)) as MatrixResponse | undefined;
      if (!response.ok || body?.status !== 'success' || body.data === undefined) {
        return `Prometheus answered ${response.status}: ${body?.error ?? 'not a query result'}`;
      }
      const series = body.data.result;
      if (series.length === 0) return `No data for ${args.query} over the last ${args.minutes} minutes.`;
      const lines = series.slice(0, MAX_SERIES).map((s) => summarise(s.metric, s.values));
      if (series.length > MAX_SERIES) lines.push(`(${series.length - MAX_SERIES} more series not shown)`);
      return [`${series.length} series, last ${args.minutes} minutes, step ${step}s:`, ...lines].join('\n');
    },
  });
}

function serverFor(configured: string | undefined, allowedHosts: readonly string[], context: ToolContext): string | undefined {
  if (configured !== undefined) return configured;
  const generator = context.alertGroup?.alerts.find((a) => a.generatorURL)?.generatorURL;
  if (generator === undefined) return undefined;
  try {
    const url = new URL(generator);
    const allowed = allowedHosts.includes(url.host) || allowedHosts.includes(url.hostname);
    return (url.protocol === 'http:' || url.protocol === 'https:') && allowed ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

function summarise(metric: Record<string, string>, values: Array<[number, string]>): string {
  const labels = Object.entries(metric)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ');
  const numbers = values.map(([, v]) => Number(v)).filter((n) => Number.isFinite(n));
  if (numbers.length === 0) return `{${labels}}: no numeric values`;
  const fmt = (n: number) => (Math.abs(n) >= 1000 || Number.isInteger(n) ? String(Math.round(n * 100) / 100) : n.toPrecision(4));
  return `{${labels}}: first ${fmt(numbers[0]!)}, min ${fmt(Math.min(...numbers))}, max ${fmt(Math.max(...numbers))}, last ${fmt(numbers.at(-1)!)} (${numbers.length} points)`;
}
