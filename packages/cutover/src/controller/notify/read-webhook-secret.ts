import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { WebhookConfig } from '../../config/schema-notify.ts';

/** The secret of a webhook, or null when none is set; an error names only where it was looked for. */
export async function readWebhookSecret(
  webhook: Pick<WebhookConfig, 'secretEnv' | 'secretFile'>,
  context: { root: string; env: NodeJS.ProcessEnv },
): Promise<{ secret: string | null } | { error: string }> {
  if (webhook.secretEnv) {
    const value = context.env[webhook.secretEnv];
    return value ? { secret: value } : { error: `the secret's environment variable ${webhook.secretEnv} is not set` };
  }
  if (webhook.secretFile) {
    const file = resolve(context.root, webhook.secretFile);
    try {
      const value = (await readFile(file, 'utf8')).trim();
      return value ? { secret: value } : { error: `the secret file ${file} is empty` };
    } catch (error) {
      return { error: `the secret file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
    }
  }
  return { secret: null };
}
