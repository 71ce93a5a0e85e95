import type Database from 'better-sqlite3';
import type { AgentRun, AgentRunRepo, AgentStatsRow } from './types.ts';

interface Row {
  id: string;
  agent: string;
  provider: AgentRun['provider'];
  model: string | null;
  status: AgentRun['status'];
  requested_by: string;
  subject: string | null;
  input: string;
  transcript: string;
  output: string | null;
  notes: string;
  error: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
  llm_requests: number;
  tool_calls: number;
  started_at: number;
  finished_at: number | null;
}

type SummaryRow = Omit<Row, 'input' | 'transcript' | 'output'>;
const SUMMARY_COLUMNS =
  'id, agent, provider, model, status, requested_by, subject, notes, error, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, llm_requests, tool_calls, started_at, finished_at';

export function createAgentRunRepo(db: Database.Database): AgentRunRepo {
  const insert = db.prepare<[string, string, string | null, string, string | null, string, number], never>(
    `INSERT INTO agent_runs (id, agent, provider, model, status, requested_by, subject, input, started_at)
     VALUES ('ag-' || (SELECT COALESCE(MAX(rowid), 0) + 1 FROM agent_runs), ?, ?, ?, 'running', ?, ?, ?, ?)
     RETURNING id`,
  );
  const update = db.prepare(
    `UPDATE agent_runs SET provider = @provider, model = @model, status = @status, transcript = @transcript, output = @output,
       notes = @notes, error = @error, input_tokens = @inputTokens, output_tokens = @outputTokens, cache_read_tokens = @cacheReadTokens,
       cache_write_tokens = @cacheWriteTokens, cost_usd = @costUsd, llm_requests = @llmRequests, tool_calls = @toolCalls, finished_at = @finishedAt
     WHERE id = @id`,
  );
  const selectOne = db.prepare<[string], Row>('SELECT * FROM agent_runs WHERE id = ?');
  const selectRecent = db.prepare<[number], SummaryRow>(`SELECT ${SUMMARY_COLUMNS} FROM agent_runs ORDER BY started_at DESC, rowid DESC LIMIT ?`);
  const selectStats = db.prepare<[number], Omit<AgentStatsRow, never>>(
    `SELECT date(started_at / 1000, 'unixepoch') AS day, agent, COUNT(*) AS runs,
       SUM(status IN ('fallback', 'failed')) AS failures, SUM(provider = 'offline') AS offline,
       SUM(llm_requests) AS llmRequests, SUM(input_tokens) AS inputTokens, SUM(output_tokens) AS outputTokens,
       SUM(cache_read_tokens) AS cacheReadTokens, SUM(cache_write_tokens) AS cacheWriteTokens, SUM(cost_usd) AS costUsd
     FROM agent_runs WHERE started_at >= ? GROUP BY day, agent ORDER BY day DESC, agent`,
  );
  const deleteBefore = db.prepare<[number], never>(`DELETE FROM agent_runs WHERE started_at < ? AND status != 'running'`);

  return {
    start(run) {
      const row = insert.get(run.agent, run.provider, run.model, run.requestedBy, run.subject, JSON.stringify(run.input ?? null), run.startedAt) as unknown as { id: string };
      return row.id;
    },
    finish(id, outcome) {
      update.run({
        id,
        provider: outcome.provider,
        model: outcome.model,
        status: outcome.status,
        transcript: JSON.stringify(outcome.transcript),
        output: outcome.output === undefined ? null : JSON.stringify(outcome.output),
        notes: JSON.stringify(outcome.notes),
        error: outcome.error,
        inputTokens: outcome.usage.inputTokens,
        outputTokens: outcome.usage.outputTokens,
        cacheReadTokens: outcome.usage.cacheReadTokens,
        cacheWriteTokens: outcome.usage.cacheWriteTokens,
        costUsd: outcome.costUsd,
        llmRequests: outcome.llmRequests,
        toolCalls: outcome.toolCalls,
        finishedAt: outcome.finishedAt,
      });
    },
    get(id) {
      const row = selectOne.get(id);
      if (row === undefined) return undefined;
      return {
        ...summary(row),
        input: JSON.parse(row.input) as unknown,
        transcript: JSON.parse(row.transcript) as AgentRun['transcript'],
        output: row.output === null ? null : (JSON.parse(row.output) as unknown),
      };
    },
    list: (limit) => selectRecent.all(limit).map(summary),
    stats: (since) => selectStats.all(since),
    prune: (before) => deleteBefore.run(before).changes,
  };
}

function summary(row: SummaryRow): Omit<AgentRun, 'input' | 'transcript' | 'output'> {
  return {
    id: row.id,
    agent: row.agent,
    provider: row.provider,
    model: row.model,
    status: row.status,
    requestedBy: row.requested_by,
    subject: row.subject,
    notes: JSON.parse(row.notes) as string[],
    error: row.error,
    usage: { inputTokens: row.input_tokens, outputTokens: row.output_tokens, cacheReadTokens: row.cache_read_tokens, cacheWriteTokens: row.cache_write_tokens },
    costUsd: row.cost_usd,
    llmRequests: row.llm_requests,
    toolCalls: row.tool_calls,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
