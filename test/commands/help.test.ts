import { describe, expect, it } from 'vitest';
import { useOpsbot } from './support.ts';

describe('help', () => {
  const opsbot = useOpsbot();

  it('shows a viewer only the commands a viewer may run', async () => {
    const { as } = opsbot();

    const { outcome, text, privates } = await as('U0VIEWER', 'help');

    expect(outcome).toBe('ok');
    expect(text).toContain('help: List the commands you can run, or explain one');
    expect(text).not.toContain('role grant');
    expect(text).not.toContain('role list');
    expect(text).not.toContain('audit');
    expect(privates[0]?.blocks?.[0]).toMatchObject({ type: 'header', text: { text: 'opsbot commands' } });
  });

  it('shows an admin every command, grouped by first word, with the footer on how to get details', async () => {
    const { as, store } = opsbot();
    store.roles.grant('U0ADMIN', 'admin', 'system', 0);

    const { privates } = await as('U0ADMIN', 'help');

    const sections = privates[0]?.blocks?.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : [])) ?? [];
    expect(sections).toEqual([
      '*audit*\n• `audit` — Show the newest audit log entries, optionally for one user',
      '*help*\n• `help` — List the commands you can run, or explain one',
      "*role*\n• `role grant` — Give someone a role (viewer, responder, deployer, admin)\n• `role list` — Show who has which granted role\n• `role revoke` — Remove someone's granted role (back to the default)",
    ]);
    expect(privates[0]?.blocks?.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Type `/ops help &lt;command&gt;` for details. In threads, mention me instead: `@opsbot &lt;command&gt;`' }],
    });
  });

  it('is what an empty request shows', async () => {
    const { as } = opsbot();

    const { command, text } = await as('U0VIEWER', '   ');

    expect(command).toBe('help');
    expect(text).toContain('opsbot commands');
  });

  it('explains one command with its usage, examples and role', async () => {
    const { as, store } = opsbot();
    store.roles.grant('U0ADMIN', 'admin', 'system', 0);

    const { text } = await as('U0ADMIN', 'help role grant');

    expect(text).toBe(
      [
        'role grant: Give someone a role (viewer, responder, deployer, admin)',
        'Usage: /ops role grant &lt;user&gt; &lt;role&gt;',
        'Examples: `/ops role grant @alice deployer`',
        'Needs the *admin* role.',
      ].join('\n'),
    );
  });

  it('tells a viewer asking about a command they cannot run which role it needs', async () => {
    const { as } = opsbot();

    const { text } = await as('U0VIEWER', 'help audit');

    expect(text).toContain('Usage: /ops audit [n] [user=&lt;user&gt;]');
    expect(text).toContain('Needs the *admin* role; you have *viewer*. Ask an admin: `/ops role grant @you admin`.');
  });

  it('lists a group’s commands the caller may run', async () => {
    const { as, store } = opsbot();
    store.roles.grant('U0RESP', 'responder', 'system', 0);

    const { text } = await as('U0RESP', 'help role');

    expect(text).toContain('role list: Show who has which granted role');
    expect(text).not.toContain('role grant');
  });

  it('says which role a group needs when the caller can run none of it', async () => {
    const { as } = opsbot();

    const { text } = await as('U0VIEWER', 'help role');

    expect(text).toBe("You can't run any `role` commands: they need *responder* or higher.\nAsk an admin: `/ops role grant @you responder`.");
  });

  it('suggests the nearest command for a misspelt topic', async () => {
    const { as } = opsbot();

    const { text } = await as('U0VIEWER', 'help role gramt');

    expect(text).toBe("There's no `role gramt` command. Did you mean `role grant`?\nType `/ops help` for the list.");
  });
});
