import { SignJWT } from 'jose';

export interface ComplianceLoadResult {
  requests: number;
  ok: number;
  /** Every failed request: no retries, so each one is a user-visible failure. */
  failures: string[];
  latenciesMs: number[];
}

export function platformToken(secret: string, subject: string, roles: string[]): Promise<string> {
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuer('tickettoken')
    .setAudience('compliance-service')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
}

const venue = (i: number) => ({
  legalName: `Load Test Arena ${i} LLC`,
  ein: `12-${String(3_000_000 + i).padStart(7, '0')}`,
  address: { line1: `${i} Main Street`, city: 'Albany', state: 'NY', postalCode: '12207' },
});

/**
 * Venue owners through the proxy until `signal`: each worker submits a venue (POST, screened on
 * the way), then reads it back (GET) and repeats; nothing is retried, so a single failed request
 * is a failure of the rollout.
 */
export async function runComplianceLoad(
  baseUrl: string,
  secret: string,
  workers: number,
  signal: AbortSignal,
): Promise<ComplianceLoadResult> {
  const result: ComplianceLoadResult = { requests: 0, ok: 0, failures: [], latenciesMs: [] };
  const call = async (method: string, path: string, token: string, body?: unknown, expect = 200) => {
    result.requests++;
    const startedAt = performance.now();
    try {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      result.latenciesMs.push(performance.now() - startedAt);
      if (response.status !== expect) {
        result.failures.push(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 160)}`);
        return undefined;
      }
      result.ok++;
      return JSON.parse(text);
    } catch (error) {
      result.failures.push(`${method} ${path}: ${error instanceof Error ? `${error.name} ${error.message}` : String(error)}`);
      return undefined;
    }
  };
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const token = await platformToken(secret, `load-owner-${w}`, ['venue']);
      for (let i = 0; !signal.aborted; i++) {
        const created = await call('POST', '/venues', token, venue(w * 100_000 + i), 201);
        const id = created?.venue?.id;
        if (id && !signal.aborted) await call('GET', `/venues/${id}`, token);
      }
    }),
  );
  return result;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
