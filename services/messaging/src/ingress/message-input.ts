import { z } from 'zod';

/** Longest identifier (conversation, sender, recipient, clientMessageId). */
export const MAX_ID_LENGTH = 200;
/** Longest message content, in characters. */
export const MAX_CONTENT_LENGTH = 16_000;
/** Most recipients of one message. */
export const MAX_RECIPIENTS = 500;

/** The content types a message may declare (README, API); any other is refused with 400. */
export const CONTENT_TYPES = ['text', 'markdown', 'image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/json'] as const;

const WELL_FORMED = 'must be well-formed Unicode (no lone surrogate)';

const id = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(/^[^\u0000-\u001f]+$/, 'must not contain control characters')
  .refine((text) => text.isWellFormed(), WELL_FORMED);

/** The body of `POST /api/messages`. */
export const messageInputSchema = z.strictObject({
  conversationId: id,
  senderId: id,
  content: z
    .string()
    .min(1)
    .max(MAX_CONTENT_LENGTH)
    .refine((text) => !text.includes('\u0000'), 'must not contain NUL characters')
    // The message travels as JSON to PostgreSQL, whose json type refuses a lone surrogate escape.
    .refine((text) => text.isWellFormed(), WELL_FORMED),
  contentType: z.enum(CONTENT_TYPES, { error: `must be one of ${CONTENT_TYPES.join(', ')}` }).default('text'),
  /** The sender's own id for this message: retries carry the same one. */
  clientMessageId: id,
  recipientIds: z
    .array(id)
    .min(1)
    .max(MAX_RECIPIENTS)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat a recipient'),
});

export type MessageInput = z.output<typeof messageInputSchema>;
