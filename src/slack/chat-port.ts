import type { KnownBlock, View } from '@slack/types';

/**
 * What handlers use to talk to people. Handlers never import Bolt: the same handler serves
 * /ops, mentions, buttons and the local shell through this port.
 */
export type Block = KnownBlock;

export interface MessageContent {
  /** Always set: it is the notification text and the fallback where blocks cannot render. */
  text: string;
  blocks?: Block[];
}

export interface MessageRef {
  channel: string;
  ts: string;
}

export interface FileContent {
  filename: string;
  content: string;
  title?: string;
  /** Message posted with the file. */
  comment?: string;
}

export interface ChatPort {
  /** Posts to a channel, or into a thread when `threadTs` is set. */
  post(channel: string, message: MessageContent, threadTs?: string): Promise<MessageRef>;
  /** Edits a message in place; repeated updates of the same message are coalesced. */
  update(ref: MessageRef, message: MessageContent): Promise<void>;
  /** Only `user` sees it. */
  ephemeral(channel: string, user: string, message: MessageContent, threadTs?: string): Promise<void>;
  /** Answers through a slash command's or a button's response_url. */
  respond(responseUrl: string, message: MessageContent & { replaceOriginal?: boolean; inChannel?: boolean }): Promise<void>;
  openModal(triggerId: string, view: View): Promise<void>;
  publishHome(user: string, view: View): Promise<void>;
  upload(channel: string, file: FileContent, threadTs?: string): Promise<void>;
}

/**
 * The replies a handler gives to the request in front of it; where they go (response_url,
 * ephemeral, thread) depends on where the request came from.
 */
export interface Replier {
  /** Only the caller sees it. */
  private(message: MessageContent | string): Promise<void>;
  /** Everyone in the conversation sees it: in the request's thread when it has one. */
  public(message: MessageContent | string): Promise<MessageRef>;
  /** A file (long output), in the request's thread when it has one. */
  file(file: FileContent): Promise<void>;
}

export function toContent(message: MessageContent | string): MessageContent {
  return typeof message === 'string' ? { text: message } : message;
}
