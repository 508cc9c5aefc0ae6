import type { TrafficRouter } from '../platform/traffic-router.ts';

/**
 * The release weights for a canary at `percent`: the stable release listed first, so that sticky
 * clients hashed into the canary's slice (the top of the range) stay on it as its weight grows.
 */
export function buildCanaryWeights(stable: string, canary: string, percent: number): Record<string, number> {
  if (percent <= 0) return { [stable]: 100 };
  if (percent >= 100) return { [canary]: 100 };
  return { [stable]: 100 - percent, [canary]: percent };
}

/**
 * Sets the service's release weights with one agent call (the proxy applies them to the next
 * request) and records a `weights:set` event with why and how long the call took.
 */
export async function applyWeights(
  router: TrafficRouter,
  service: string,
  weights: Record<string, number> | null,
  reason: string,
  emit: (type: string, data: Record<string, unknown>) => void,
): Promise<number> {
  const startedMs = performance.now();
  await router.setWeights(service, weights);
  const tookMs = Math.round((performance.now() - startedMs) * 100) / 100;
  emit('weights:set', { weights, reason, atMs: Date.now(), tookMs });
  return tookMs;
}
