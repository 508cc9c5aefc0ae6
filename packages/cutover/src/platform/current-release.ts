/** The release most routed instances run: what serves traffic now. */
export function currentRelease(instances: readonly { spec: { release: string }; inPool?: boolean }[]): string | null {
  const counts = new Map<string, number>();
  for (const instance of instances) if (instance.inPool) counts.set(instance.spec.release, (counts.get(instance.spec.release) ?? 0) + 1);
  let best: string | null = null;
  for (const [release, count] of counts) if (best === null || count > (counts.get(best) ?? 0)) best = release;
  return best;
}
