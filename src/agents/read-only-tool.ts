import type { z } from 'zod';
import type { AlertGroup } from '../alerts/alert.ts';

/**
 * A diagnostic the model may call. Read-only by construction: the only tools that exist are
 * these, and each one reads (cluster state, commits, metrics, history) and never writes.
 */
export interface ReadOnlyTool<A = unknown> {
  /** snake_case, as the Messages API wants tool names. */
  name: string;
  description: string;
  input: z.ZodType<A>;
  /** Agents that may be offered it; all tool-using agents when absent. */
  agents?: readonly string[];
  /** The result as text for the model; thrown errors become an error result, not a failed run. */
  run(args: A, context: ToolContext): Promise<string>;
}

/** What a run is about; tools take their targets from here when the model does not name them. */
export interface ToolContext {
  alertGroup?: AlertGroup;
  signal?: AbortSignal;
}

export function defineTool<A>(tool: ReadOnlyTool<A>): ReadOnlyTool {
  return tool as unknown as ReadOnlyTool;
}
