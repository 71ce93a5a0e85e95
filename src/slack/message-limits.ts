/**
 * Slack's documented limits (https://docs.slack.dev/reference/block-kit). Slack rejects a
 * message over any of them (`invalid_blocks`, `msg_too_long`), so fit-message.ts keeps every
 * outgoing message inside them.
 */

/** Blocks in one message. */
export const MAX_BLOCKS_PER_MESSAGE = 50;
/** Blocks in one modal or App Home view. */
export const MAX_BLOCKS_PER_VIEW = 100;

/** A section's `text`. */
export const MAX_SECTION_TEXT = 3_000;
/** One of a section's `fields`. */
export const MAX_SECTION_FIELD_TEXT = 2_000;
/** `fields` in one section. */
export const MAX_SECTION_FIELDS = 10;
/** A header's plain text. */
export const MAX_HEADER_TEXT = 150;
/** Elements of a context block. */
export const MAX_CONTEXT_ELEMENTS = 10;
/** Any other text object (context element, input label, …). */
export const MAX_TEXT_OBJECT = 3_000;
/** Elements of an actions block. */
export const MAX_ACTIONS_ELEMENTS = 25;
/** The `markdown` block's text, and all markdown blocks of one message together. */
export const MAX_MARKDOWN_TEXT = 12_000;

/** A button's label. */
export const MAX_BUTTON_TEXT = 75;
/** A button's `value`: state bigger than this is stored and passed by id. */
export const MAX_BUTTON_VALUE = 2_000;
/** `block_id` and `action_id`. */
export const MAX_ID_LENGTH = 255;

/** A modal's title, submit and close labels. */
export const MAX_VIEW_TITLE = 24;
/** A view's `private_metadata`. */
export const MAX_PRIVATE_METADATA = 3_000;

/**
 * A message's top-level `text`. Slack's guidance of 4,000 characters is a readability
 * recommendation, not an error; 40,000 is where `msg_too_long` starts.
 */
export const MAX_MESSAGE_TEXT = 40_000;

/**
 * Where long output is cut into several messages: comfortably under every hard limit and
 * still readable without endless "Show more". Also caps the visible text packed into one
 * block message, since Slack rejects oversized block payloads without naming a number.
 */
export const SPLIT_TEXT_SIZE = 12_000;

/** Output needing more messages than this goes to a file upload instead. */
export const MAX_MESSAGES_BEFORE_FILE = 4;
