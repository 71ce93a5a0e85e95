import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Alertmanager webhook bodies for tests and the bench: variants built in code from the sample
 * test/fixtures/alertmanager/prom2teams/all_ok.json (its shape and fields kept; receiver,
 * status, labels, annotations, times and fingerprints replaced per alert), and the POST with the
 * bearer token Alertmanager's `http_config.authorization` sends.
 */

const SAMPLE_PATH = fileURLToPath(new URL('../fixtures/alertmanager/prom2teams/all_ok.json', import.meta.url));

interface SampleAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint?: string;
}

interface SampleBody {
  receiver: string;
  status: string;
  alerts: SampleAlert[];
  externalURL: string;
  version: string;
}

const sample = JSON.parse(readFileSync(SAMPLE_PATH, 'utf8')) as SampleBody;

export interface AlertSpec {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  status?: 'firing' | 'resolved';
  /** Alertmanager's fingerprint; omitted: opsbot computes one from the labels. */
  fingerprint?: string;
}

/** A version 4 body of `alerts`, shaped like the sample. */
export function alertmanagerBody(alerts: readonly AlertSpec[], options: { receiver?: string; groupKey?: string } = {}): Record<string, unknown> {
  const template = sample.alerts[0]!;
  const firing = alerts.some((a) => (a.status ?? 'firing') === 'firing');
  return {
    ...sample,
    receiver: options.receiver ?? 'opsbot',
    status: firing ? 'firing' : 'resolved',
    ...(options.groupKey ? { groupKey: options.groupKey } : {}),
    alerts: alerts.map((spec) => {
      const status = spec.status ?? 'firing';
      const { fingerprint: _sampleFingerprint, ...rest } = template;
      return {
        ...rest,
        status,
        labels: spec.labels,
        annotations: spec.annotations ?? { summary: `${spec.labels.alertname ?? 'alert'} on ${spec.labels.pod ?? spec.labels.instance ?? 'somewhere'}` },
        startsAt: '2026-01-01T00:00:00Z',
        endsAt: status === 'resolved' ? '2026-01-01T00:10:00Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example:9090/graph?g0.expr=up',
        ...(spec.fingerprint ? { fingerprint: spec.fingerprint } : {}),
      };
    }),
  };
}

export async function postAlertWebhook(
  baseUrl: string,
  body: unknown,
  options: { token?: string | null; path?: '/webhooks/alertmanager' | '/webhooks/grafana'; raw?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(`${baseUrl}${options.path ?? '/webhooks/alertmanager'}`, { method: 'POST', headers, body: options.raw ?? JSON.stringify(body) });
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}
