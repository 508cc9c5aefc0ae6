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

export type ParsedMessageInput = { success: true; data: MessageInput } | { success: false; error: z.ZodError };

const FIELDS = new Set(['conversationId', 'senderId', 'content', 'contentType', 'clientMessageId', 'recipientIds']);
const CONTENT_TYPE_SET: ReadonlySet<string> = new Set(CONTENT_TYPES);
const CONTROL = /[\u0000-\u001f]/;

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID_LENGTH && !CONTROL.test(value) && value.isWellFormed();
}

/**
 * The message as validated, the same output and refusals as `messageInputSchema.safeParse`: a body
 * that passes every rule here is built directly (zod's per-call work cost more CPU than the rest of
 * the validation on the ingress path); anything else goes through the schema, so a refusal names
 * its fields exactly as the schema does. This check only ever accepts what the schema accepts
 * (`test/ingress/message-input.test.ts` holds the two equal).
 */
export function parseMessageInput(body: unknown): ParsedMessageInput {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    let known = true;
    for (const key in b) if (!Object.hasOwn(b, key) || !FIELDS.has(key)) known = false;
    const { conversationId, senderId, content, clientMessageId, recipientIds } = b;
    const contentType = b.contentType === undefined ? 'text' : b.contentType;
    if (
      known &&
      Object.getPrototypeOf(b) === Object.prototype &&
      isId(conversationId) &&
      isId(senderId) &&
      isId(clientMessageId) &&
      typeof content === 'string' &&
      content.length >= 1 &&
      content.length <= MAX_CONTENT_LENGTH &&
      !content.includes('\u0000') &&
      content.isWellFormed() &&
      typeof contentType === 'string' &&
      CONTENT_TYPE_SET.has(contentType) &&
      Array.isArray(recipientIds) &&
      recipientIds.length >= 1 &&
      recipientIds.length <= MAX_RECIPIENTS &&
      recipientIds.every(isId) &&
      (recipientIds.length === 1 || new Set(recipientIds).size === recipientIds.length)
    )
      return {
        success: true,
        data: {
          conversationId,
          senderId,
          content,
          contentType: contentType as MessageInput['contentType'],
          clientMessageId,
          recipientIds: [...recipientIds],
        },
      };
  }
  return messageInputSchema.safeParse(body);
}
