import type { Config } from '../config.ts';
import { errorMessage, OpsError } from '../errors.ts';
import { escalationFilePath, loadEscalationPolicy } from './escalation-policy.ts';

/**
 * `opsbot validate` for the escalation file opsbot.yaml names: one line, `file: ok (N rules)` or
 * the problem as `file:line:col: key: what was expected`. Undefined when no file is named.
 */
export function validateEscalationFile(config: Pick<Config, 'configPath' | 'policy'>, readFile?: (path: string) => string): { ok: boolean; line: string } | undefined {
  const file = config.policy.incidents.escalationFile;
  if (!file) return undefined;
  const path = escalationFilePath(config.configPath, file);
  try {
    const policy = loadEscalationPolicy(path, readFile);
    return { ok: true, line: `${path}: ok (${policy.rules.length} rule${policy.rules.length === 1 ? '' : 's'})` };
  } catch (err) {
    if (err instanceof OpsError) return { ok: false, line: err.message };
    return { ok: false, line: `${path}: ${errorMessage(err)}` };
  }
}
