import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** Whether an address is loopback, private, link-local, unique-local or unspecified (SSRF targets). */
export function isPrivateAddress(address: string): boolean {
  if (isIP(address) === 4) {
    const [a, b] = address.split('.').map(Number);
    return (
      a === 10 ||
      a === 127 ||
      a === 0 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:')) return isPrivateAddress(lower.slice(7));
  return lower === '::1' || lower === '::' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80');
}

export type TargetCheck = { ok: true; url: URL } | { ok: false; detail: string };

/**
 * A webhook target must be an https URL (http only when private targets are allowed) whose host
 * does not resolve to a private address, so an endpoint cannot be used to reach internal services.
 */
export async function checkWebhookTarget(raw: string, allowPrivate: boolean): Promise<TargetCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, detail: 'not a URL' };
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) return { ok: false, detail: 'must be an https:// URL' };
  if (url.username || url.password) return { ok: false, detail: 'must not carry credentials' };
  if (allowPrivate) return { ok: true, url };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((entry) => entry.address);
  if (addresses.length === 0) return { ok: false, detail: `${host} does not resolve` };
  if (addresses.some(isPrivateAddress)) return { ok: false, detail: `${host} resolves to a private address` };
  return { ok: true, url };
}
