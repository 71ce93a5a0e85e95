import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ciAnalystAgent } from '../../src/agents/ci-analyst-agent.ts';
import { ciAnalysisOutputSchema } from '../../src/agents/output-schemas.ts';
import { message } from '../support/fake-messages-api.ts';
import { useAgentRig } from '../support/agent-rig.ts';

const DIR = fileURLToPath(new URL('../fixtures/ci-logs/mimecraft_2316/', import.meta.url));
const log = readFileSync(`${DIR}fail.log`, 'utf8');
const groundTruth = readFileSync(`${DIR}groundtruth`, 'utf8')
  .split('\n')
  .flatMap((line) => {
    const m = /^E\s+(\d+)(?:\s*-\s*(\d+))?/.exec(line.trim());
    return m ? [{ from: Number(m[1]), to: Number(m[2] ?? m[1]) }] : [];
  });
const rig = useAgentRig();
const input = { job: 'square/mimecraft build', log, passLog: readFileSync(`${DIR}pass.log`, 'utf8') };

describe('CI-failure analyst', () => {
  it('offline, points at the ground-truth error lines of a real failed build', async () => {
    const { runner } = rig.runner({ llm: false });
    const answer = await runner.run(ciAnalystAgent(), input, { requestedBy: 'system' });

    const output = ciAnalysisOutputSchema.parse(answer.output);
    const lines = output.errorLines.map((l) => l.line);
    expect(groundTruth.every((iv) => lines.some((n) => n >= iv.from && n <= iv.to))).toBe(true);
    expect(output.errorLines.length).toBeLessThanOrEqual(40);
    expect(answer.notes[0]).toMatch(/offline provider/);
  });

  it('drops error lines the model places outside the log', async () => {
    const { runner } = rig.runner();
    rig.api.script(message({ text: { summary: 'compile error', errorLines: [{ line: 3, text: 'x' }, { line: 999_999, text: 'invented' }], category: 'dependency', risk: 'medium', confidence: 0.7, suggestedAction: 'fix-dependency' } }));
    const answer = await runner.run(ciAnalystAgent(), input, { requestedBy: 'system' });

    expect(answer.output.errorLines).toEqual([{ line: 3, text: 'x' }]);
    expect(answer.violations).toEqual(['1 error line(s) outside the log or over 40 dropped']);
  });
});
