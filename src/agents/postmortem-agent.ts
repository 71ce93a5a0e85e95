import type { AgentDefinition } from './agent.ts';
import { templatePostmortem, type PostmortemInput } from './offline/postmortem-template.ts';
import { postmortemOutputSchema, type PostmortemOutput } from './output-schemas.ts';

const SYSTEM = `You are the postmortem writer of opsbot, a ChatOps bot run by an SRE team. From an incident's stored record and timeline you draft a blameless postmortem.
Use only what the record says: never invent causes, numbers or people. Where something is not recorded, write "not recorded — fill in".
Answer with summary, impact (who was affected, for how long), narrative (what happened, in order, with UTC times), contributingFactors and actionItems (each with an owner when the timeline names one, else null).`;

export function postmortemAgent(): AgentDefinition<PostmortemInput, PostmortemOutput> {
  return {
    name: 'postmortem',
    system: SYSTEM,
    output: postmortemOutputSchema,
    maxTokens: 4096,
    usesTools: false,
    prompt: (input, fence) =>
      [
        `Incident ${input.incident.id} (${input.incident.severity}); its title is in the record below.`,
        'The stored record:',
        fence('incident record', JSON.stringify(input.incident, null, 2)),
        'The timeline (oldest first):',
        fence('timeline', input.timeline.map((e) => `${new Date(e.at).toISOString()} ${e.kind}${e.who ? ` by ${e.who}` : ''}: ${e.text}`).join('\n')),
      ].join('\n\n'),
    offline: (input) => templatePostmortem(input),
  };
}
