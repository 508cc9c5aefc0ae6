import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { JWK } from 'jose';
import { z } from 'zod';

/**
 * The auth service's private signing keys: a JSON file shaped like a JWKS, `{ "keys": [jwk, ...] }`,
 * newest first. Every instance reads the same file, so whichever instance answers the JWKS
 * publishes the key that signed any token. The first key signs; the others are published only.
 */
const signingKeysFile = z.object({
  keys: z
    .array(
      z.looseObject({
        kty: z.string(),
        kid: z.string().min(1),
        alg: z.enum(['EdDSA', 'ES256', 'RS256']),
        d: z.string().min(1),
      }),
    )
    .min(1),
});

export type SigningKeysFile = z.infer<typeof signingKeysFile>;

/** Parses the file's text; throws with the path and what is wrong, never with key material. */
export function parseSigningKeys(text: string, where: string): JWK[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${where} is not valid JSON`);
  }
  const parsed = signingKeysFile.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new Error(`${where} is not a signing key set (${issues})`);
  }
  return parsed.data.keys as JWK[];
}

/** Reads the key file; a relative path is relative to the working directory (the release directory under cutover). */
export async function loadSigningKeys(path: string): Promise<JWK[]> {
  const file = resolve(path);
  return parseSigningKeys(await readFile(file, 'utf8'), file);
}
