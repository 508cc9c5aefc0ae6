import { Agent, request } from 'node:http';

/** One request of the load: when it was sent (epoch ms), which release answered, with what. */
export interface CanarySample {
  sentAtMs: number;
  release: string;
  status: number;
}

export interface CanaryLoad {
  /** Stops sending, waits for the answers in flight, returns every sample in send order. */
  stop(): Promise<CanarySample[]>;
}

/**
 * Open-loop GETs on loopback at a fixed rate, recording the release of every answer (x-release), so
 * a bench can see when the last request reached a release. Keep-alive with up to 1024 sockets: a
 * slow release must not hold requests back in the client, or they would reach the proxy late.
 */
export function startCanaryLoad(url: string, ratePerSec: number): CanaryLoad {
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  const samples: CanarySample[] = [];
  const startedMs = Date.now();
  let sent = 0;
  let inFlight = 0;
  let stopping: (() => void) | null = null;
  const fire = () => {
    const sample: CanarySample = { sentAtMs: Date.now(), release: '?', status: 0 };
    samples.push(sample);
    sent++;
    inFlight++;
    const done = () => {
      inFlight--;
      if (stopping && inFlight === 0) stopping();
    };
    const req = request(url, { agent, timeout: 30_000 }, (res) => {
      sample.status = res.statusCode ?? 0;
      sample.release = String(res.headers['x-release'] ?? '?');
      res.resume();
      res.on('end', done);
      res.on('error', done);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      sample.status = -1;
      done();
    });
    req.end();
  };
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - startedMs) * ratePerSec) / 1000) - sent;
    for (let i = 0; i < due; i++) fire();
  }, 5);
  return {
    stop: () =>
      new Promise<CanarySample[]>((resolve) => {
        clearInterval(timer);
        const finish = () => {
          agent.destroy();
          resolve(samples);
        };
        if (inFlight === 0) finish();
        else stopping = finish;
      }),
  };
}
