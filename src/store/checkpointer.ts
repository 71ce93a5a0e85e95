import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';

export interface Checkpointer {
  stop(): Promise<void>;
}

const DEFAULT_AUTOCHECKPOINT_PAGES = 1000;

// Plain CommonJS run by the worker: its own connection checkpoints the WAL into the database
// file, so the copy and its fsyncs happen off the event loop that acknowledges Slack.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const checkpoint = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); }
  catch (err) { parentPort.postMessage({ error: String(err && err.message || err) }); }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

/**
 * Moves WAL checkpoints to a worker thread. SQLite otherwise checkpoints inside whichever
 * commit crosses the threshold — on the thread that answers Slack — copying pages and fsyncing.
 * If the worker dies, the connection goes back to automatic checkpoints so the WAL never grows
 * without bound.
 */
export function startCheckpointer(db: Database.Database, options: { log: Logger; intervalMs?: number }): Checkpointer {
  const { log } = options;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  db.pragma('wal_autocheckpoint = 0');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: db.name, driver, intervalMs: options.intervalMs ?? 1000 } });
  worker.unref();
  let stopping = false;
  const fallBack = (why: string, err?: unknown) => {
    if (stopping) return;
    log.warn({ err, why }, 'background checkpointer unavailable; checkpointing on the main thread');
    db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
  };
  worker.on('message', (message: { error?: string }) => {
    if (message.error) log.warn({ error: message.error }, 'background checkpoint failed');
  });
  worker.on('error', (err) => fallBack('worker error', err));
  worker.on('exit', (code) => fallBack(`worker exited with code ${code}`));

  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        worker.once('exit', done);
        worker.once('message', (m: { stopped?: boolean }) => {
          if (m.stopped) void worker.terminate().then(done, done);
        });
        worker.postMessage('stop');
      });
      db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    },
  };
}
