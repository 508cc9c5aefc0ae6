import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type CheckOutcome, fail, pass } from './check-result.ts';

export interface HttpProbeSpec {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Status codes that pass (default: any 2xx). */
  expectStatus?: readonly number[];
  /** The body must contain this text. */
  bodyIncludes?: string;
  timeoutMs: number;
}

/** Bytes of body kept for the substring check and the message. */
export const MAX_PROBE_BODY_BYTES = 256 * 1024;

/**
 * One HTTP request with a hard deadline. node:http rather than fetch so a Host header (virtual
 * hosts behind the proxy) is sent as given.
 */
export function probeHttp(spec: HttpProbeSpec): Promise<CheckOutcome> {
  const startedAt = performance.now();
  const expected = spec.expectStatus ?? null;
  const threshold = { expectStatus: expected ?? '2xx', ...(spec.bodyIncludes === undefined ? {} : { bodyIncludes: spec.bodyIncludes }) };
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(spec.url);
    } catch {
      resolve(fail(`not a URL: ${spec.url}`));
      return;
    }
    const label = `${spec.method} ${spec.url}`;
    let done = false;
    const finish = (outcome: CheckOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: spec.method, headers: spec.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_PROBE_BODY_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => finish(judge(label, res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), spec, startedAt, threshold)));
      res.on('error', (error) => finish(fail(`${label}: ${error.message}`, null, threshold)));
    });
    const timer = setTimeout(() => finish(fail(`${label}: no response within ${spec.timeoutMs}ms`, null, threshold)), spec.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ECONNREFUSED' ? 'connection refused (nothing listens there)' : error.message || error.code;
      finish(fail(`${label}: ${why}`, { error: error.code ?? error.message }, threshold));
    });
    req.end(spec.body);
  });
}

function judge(
  label: string,
  status: number,
  body: string,
  spec: HttpProbeSpec,
  startedAt: number,
  threshold: Record<string, unknown>,
): CheckOutcome {
  const latencyMs = Math.round(performance.now() - startedAt);
  const measured = { status, latencyMs };
  const statusOk = spec.expectStatus ? spec.expectStatus.includes(status) : status >= 200 && status < 300;
  if (!statusOk) {
    const snippet = body.trim().slice(0, 200).replace(/\s+/g, ' ');
    return fail(
      `${label} answered ${status}, expected ${spec.expectStatus?.join(' or ') ?? '2xx'}${snippet ? `: ${snippet}` : ''}`,
      measured,
      threshold,
    );
  }
  if (spec.bodyIncludes !== undefined && !body.includes(spec.bodyIncludes)) {
    return fail(`${label} answered ${status} but the body does not contain ${JSON.stringify(spec.bodyIncludes)}`, measured, threshold);
  }
  return pass(`${label} answered ${status} (${latencyMs}ms)`, measured, threshold);
}
