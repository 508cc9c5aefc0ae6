import { CutoverError } from '../errors/cutover-error.ts';
import type { TargetSpec } from './proxy/proxy-types.ts';

/**
 * The refusals every data plane gives the same way (the Node proxy and the HAProxy driver): an
 * unknown service or target, a target id taken by another instance, weights out of range.
 */
export function unknownService(name: string, known: Iterable<string>): CutoverError {
  return new CutoverError('CUT_ERR_AGENT_UNKNOWN_SERVICE', `the proxy has no route for service ${name}`, {
    where: `proxy service ${name}`,
    hint: 'set the route first (cutover deploy does), then add targets',
    details: { service: name, known: [...known] },
  });
}

export function unknownTarget(service: string, id: string): CutoverError {
  return new CutoverError('CUT_ERR_AGENT_UNKNOWN_TARGET', `service ${service} has no proxy target ${id}`, {
    where: `proxy service ${service}`,
    hint: 'list the targets with "cutover status"; a removed target is gone once its drain finished',
    details: { service, id },
  });
}

/**
 * Adding a target whose id is taken: true when it is the same instance again (nothing to do),
 * otherwise CUT_ERR_AGENT_TARGET_EXISTS.
 */
export function isSameTarget(service: string, existing: TargetSpec & { draining: boolean }, spec: TargetSpec): boolean {
  if (!existing.draining && existing.release === spec.release && existing.host === spec.host && existing.port === spec.port) return true;
  throw new CutoverError(
    'CUT_ERR_AGENT_TARGET_EXISTS',
    `service ${service} already has a target ${spec.id}${existing.draining ? ' (still draining)' : ''}`,
    {
      where: `proxy service ${service}`,
      hint: existing.draining
        ? 'wait for its removal to finish, or add the instance under a new id'
        : 'remove the target first, or use a new id',
      details: { service, id: spec.id },
    },
  );
}

/** Release weights: each 0-100, at least one above 0 (null spreads traffic evenly and is always valid). */
export function checkReleaseWeights(service: string, weights: Record<string, number> | null): void {
  if (weights === null) return;
  const values = Object.values(weights);
  if (values.some((w) => typeof w !== 'number' || !(w >= 0 && w <= 100)) || !values.some((w) => w > 0)) {
    throw new CutoverError('CUT_ERR_AGENT_WEIGHTS_INVALID', `invalid release weights for service ${service}: ${JSON.stringify(weights)}`, {
      where: `proxy service ${service}`,
      hint: 'give each release a number from 0 to 100, at least one above 0, or null to spread traffic evenly',
      details: { weights },
    });
  }
}
