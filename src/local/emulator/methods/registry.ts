import { authAppsMethods } from './auth-apps.ts';
import { chatMethods } from './chat.ts';
import type { MethodHandler } from './context.ts';
import { conversationsMethods } from './conversations.ts';
import { filesMethods } from './files.ts';
import { reactionsPinsMethods } from './reactions-pins.ts';
import { usersMethods } from './users.ts';
import { viewsMethods } from './views.ts';

/** Every Web API method the emulator answers; anything else is `unknown_method`, as at Slack. */
export const METHODS: Readonly<Record<string, MethodHandler>> = {
  ...authAppsMethods,
  ...chatMethods,
  ...conversationsMethods,
  ...usersMethods,
  ...viewsMethods,
  ...reactionsPinsMethods,
  ...filesMethods,
};
