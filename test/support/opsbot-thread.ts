/**
 * An opsbot in a worker thread, for in-process crash tests: `worker.terminate()` stops it where
 * it stands (no stop(), no finally blocks, no further Slack calls or database writes), which is
 * what a `kill -9` does to a process. workerData: { env, policy }; posts `{ url }` once started.
 */
import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { createApp } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { createLogger } from '../../src/logger.ts';
import { createRedactor } from '../../src/redact.ts';
import { testConfig } from './opsbot.ts';

const { env, policy } = workerData as { env: Record<string, string>; policy?: string };
const config = testConfig(env, policy);
const log = createLogger({
  level: config.logLevel,
  pretty: false,
  redactor: createRedactor(config.secrets),
  destination: new Writable({ write: (_chunk, _enc, done) => done() }),
});
const app = createApp({ config, log, clock: new ManualClock(Date.now()), host: { hostname: 'test-host', pid: process.pid, isProcessAlive: () => false } });
const { url } = await app.start();
parentPort?.postMessage({ url });
