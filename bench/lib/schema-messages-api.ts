import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback Messages API for benchmarks: `POST /v1/messages` answers every request at once with
 * an assistant message whose text is JSON matching the request's own structured-output schema
 * (`output_config.format.schema`), built from the schema alone: enums take PREFERRED values when
 * offered (a review accepts), else their first; a oneOf takes its `manual` variant when it has one
 * (a fix proposes manual steps); arrays get their minimum; numbers sit inside their bounds. So
 * every agent of the triage loop gets a valid answer in one call, without a script per request
 * (the test fake, test/support/fake-messages-api.ts, answers a fixed queue in order, which
 * concurrent groups would interleave). It counts the requests: the LLM calls of a run.
 */

export interface SchemaMessagesApi {
  readonly url: string;
  readonly requests: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type Schema = Record<string, unknown>;

export function createSchemaMessagesApi(): SchemaMessagesApi {
  let base: string | undefined;
  let requests = 0;
  const server = createServer((req, res) => void answer(req, res));

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    requests++;
    let schema: Schema = { type: 'object', properties: {} };
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { output_config?: { format?: { schema?: Schema } } };
      schema = body.output_config?.format?.schema ?? schema;
    } catch {
      // An unreadable request still gets an answer; the client will judge it.
    }
    const id = randomUUID().slice(0, 8);
    const text = JSON.stringify({
      id: `msg_bench_${id}`,
      type: 'message',
      role: 'assistant',
      model: 'claude-bench',
      content: [{ type: 'text', text: JSON.stringify(instance(schema)) }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 1_000, output_tokens: 200, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_bench_${id}`, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  return {
    get url() {
      if (!base) throw new Error('schema Messages API not started');
      return base;
    },
    get requests() {
      return requests;
    },
    start: () =>
      new Promise((resolve) => {
        server.listen(0, '127.0.0.1', () => {
          base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
          resolve();
        });
      }),
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Enum values taken when offered: a review accepts; a triage rates the least severity and risk
 * (the alert's own severity still applies as the floor), so a run measures alert handling, not
 * incident declarations.
 */
const PREFERRED: readonly unknown[] = ['accept', 'P3', 'low'];

/** A value valid for `schema` (the subset of JSON Schema zod's toJSONSchema emits for agent outputs, `$defs` and `$ref` included). */
export function instance(schema: Schema, depth = 0, root: Schema = schema): unknown {
  if (depth > 12) return null;
  if (typeof schema.$ref === 'string') {
    const name = /^#\/\$defs\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name === undefined ? undefined : (root.$defs as Record<string, Schema> | undefined)?.[name];
    return target ? instance(target, depth + 1, root) : null;
  }
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return PREFERRED.find((value) => (schema.enum as unknown[]).includes(value)) ?? schema.enum[0];
  const variants = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (Array.isArray(variants) && variants.length > 0) {
    const manual = variants.find((v) => ((v.properties as Record<string, Schema> | undefined)?.kind as Schema | undefined)?.const === 'manual');
    return instance(manual ?? variants.find((v) => v.type !== 'null') ?? variants[0]!, depth + 1, root);
  }
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') ?? 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries(Object.entries(properties).map(([name, sub]) => [name, instance(sub, depth + 1, root)]));
    }
    case 'array': {
      const count = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return Array.from({ length: count }, () => instance((schema.items ?? {}) as Schema, depth + 1, root));
    }
    case 'string':
      return typeof schema.minLength === 'number' && schema.minLength > 5 ? 'x'.repeat(schema.minLength) : 'bench';
    case 'number':
    case 'integer': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : 0;
      const max = typeof schema.maximum === 'number' ? schema.maximum : min + 1;
      return type === 'integer' ? Math.ceil(min) : (min + max) / 2;
    }
    case 'boolean':
      return false;
    default:
      return null;
  }
}
