import { sleep } from './processes.ts';

/** Polls `url` every 20 ms until it answers 200; throws after `timeoutMs`. Returns the response headers. */
export async function waitForHttp(url: string, timeoutMs: number): Promise<Headers> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return response.headers;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(20);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}
