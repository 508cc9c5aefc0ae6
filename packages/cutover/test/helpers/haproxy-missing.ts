import { requireHaproxy } from '../../src/agent/haproxy/haproxy-binary.ts';

/** A test or describe() skip reason when no usable haproxy is installed, else false. */
export function haproxyMissing(): string | false {
  try {
    requireHaproxy();
    return false;
  } catch (error) {
    return `skipped: ${(error as Error).message} (apt-get install haproxy)`;
  }
}
