import { execFileSync } from 'node:child_process';
import { CutoverError } from '../../errors/cutover-error.ts';

/** The oldest HAProxy whose runtime API has everything the driver sends (`set server ... addr ... port`, `retry-on`, `log stdout`). */
export const MIN_HAPROXY_VERSION: readonly [number, number] = [2, 4];
/** Debian's package installs it here; PATH is searched when it is not. */
export const DEFAULT_HAPROXY_BINARY = '/usr/sbin/haproxy';

export interface HaproxyBinary {
  path: string;
  version: string;
}

/** `HAProxy version 2.6.12-1+deb12u4 2026/10/17 - https://haproxy.org/` → [2, 6]; null when unreadable. */
export function parseHaproxyVersion(output: string): { text: string; major: number; minor: number } | null {
  const match = /HA-?Proxy version (\d+)\.(\d+)(\S*)/i.exec(output);
  if (!match) return null;
  return { text: `${match[1]}.${match[2]}${match[3]}`, major: Number(match[1]), minor: Number(match[2]) };
}

/**
 * The haproxy binary to run, checked once before the agent starts anything: missing and too old
 * are errors with their own codes, so that `cutover up` says what to install.
 */
export function requireHaproxy(binary?: string): HaproxyBinary {
  const candidates = binary ? [binary] : [DEFAULT_HAPROXY_BINARY, 'haproxy'];
  for (const candidate of candidates) {
    let output: string;
    try {
      output = execFileSync(candidate, ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    } catch {
      continue;
    }
    const version = parseHaproxyVersion(output);
    const [major, minor] = MIN_HAPROXY_VERSION;
    if (version === null || version.major < major || (version.major === major && version.minor < minor)) {
      throw new CutoverError(
        'CUT_ERR_AGENT_HAPROXY_TOO_OLD',
        `${candidate} is HAProxy ${version?.text ?? '(unknown version)'}; proxy.dataPlane: haproxy needs ${major}.${minor} or newer`,
        {
          where: 'proxy.dataPlane',
          hint: 'install a newer HAProxy (Debian 12: apt-get install haproxy gives 2.6), or set proxy.dataPlane: node',
          details: { binary: candidate, version: version?.text ?? null },
        },
      );
    }
    return { path: candidate, version: version.text };
  }
  throw new CutoverError('CUT_ERR_AGENT_HAPROXY_MISSING', 'proxy.dataPlane is haproxy but no haproxy binary was found', {
    where: 'proxy.dataPlane',
    hint: 'install it (apt-get install haproxy), or set proxy.dataPlane: node to use the built-in proxy',
    details: { looked: candidates },
  });
}
