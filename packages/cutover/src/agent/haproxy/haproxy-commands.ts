import type { SlotConfig } from './haproxy-config.ts';

/** HAProxy's largest server weight. */
export const MAX_HAPROXY_WEIGHT = 256;

export interface WeightedSlot {
  release: string;
  /** Healthy and not draining: may take new requests. */
  eligible: boolean;
}

/**
 * Per-slot weights that give each release its share of new requests: a release's weight is split
 * evenly over its eligible slots. Whole shares that fit HAProxy's 0-256 scale are kept as they are,
 * over their common divisor (75/25 over one slot each → 3 and 1). Others are scaled so that the
 * largest slot weight is MAX_HAPROXY_WEIGHT, and each release's scaled total is rounded once and
 * dealt over its slots (some get one more), never below a total of 1: a light release over many
 * slots keeps its share by leaving some of them at 0 instead of rounding each up to 1 (5 % over 64
 * slots beside 95 % on one is 13 slots at 1, not 64). Without release weights, or when no weighted
 * release has an eligible slot (the Node proxy then uses any eligible target too), every eligible
 * slot weighs 1. Ineligible slots weigh 0.
 */
export function slotWeights(slots: readonly WeightedSlot[], weights: Readonly<Record<string, number>> | null): number[] {
  const even = slots.map((slot) => (slot.eligible ? 1 : 0));
  if (weights === null) return even;
  const counts = new Map<string, number>();
  for (const slot of slots)
    if (slot.eligible && (weights[slot.release] ?? 0) > 0) counts.set(slot.release, (counts.get(slot.release) ?? 0) + 1);
  if (counts.size === 0) return even;
  const perSlot = (release: string) => (weights[release] ?? 0) / counts.get(release)!;
  const shares = [...counts.keys()].map(perSlot);
  const largest = Math.max(...shares);
  const exact = shares.every((share) => Number.isInteger(share)) && largest <= MAX_HAPROXY_WEIGHT;
  const divisor = exact ? shares.reduce(gcd) : 1;
  const totals = new Map(
    [...counts].map(([release, count]) => [
      release,
      exact ? (perSlot(release) / divisor) * count : Math.max(1, Math.round(((perSlot(release) * MAX_HAPROXY_WEIGHT) / largest) * count)),
    ]),
  );
  const dealt = new Map<string, number>();
  return slots.map((slot) => {
    if (!slot.eligible || !counts.has(slot.release)) return 0;
    const count = counts.get(slot.release)!;
    const total = totals.get(slot.release)!;
    const nth = dealt.get(slot.release) ?? 0;
    dealt.set(slot.release, nth + 1);
    return Math.floor(total / count) + (nth < total % count ? 1 : 0);
  });
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The runtime API commands that move a slot from `applied` (what HAProxy has, null: unknown) to
 * `wanted`. Address and weight come before the state, so a slot is never ready at an old address.
 */
export function slotCommands(backend: string, server: string, applied: SlotConfig | null, wanted: SlotConfig): string[] {
  const id = `${backend}/${server}`;
  const commands: string[] = [];
  if (applied === null || applied.host !== wanted.host || applied.port !== wanted.port)
    commands.push(`set server ${id} addr ${wanted.host} port ${wanted.port}`);
  if (applied === null || applied.weight !== wanted.weight) commands.push(`set weight ${id} ${wanted.weight}`);
  if (applied === null || applied.state !== wanted.state) commands.push(`set server ${id} state ${wanted.state}`);
  return commands;
}

/** Orders a batch: addresses and weights, then slots turning ready, then the ones leaving (drain before maint). */
export function orderCommands(commands: readonly string[]): string[] {
  const rank = (command: string) =>
    command.endsWith(' state ready') ? 1 : command.endsWith(' state drain') ? 2 : command.endsWith(' state maint') ? 3 : 0;
  return [...commands].sort((a, b) => rank(a) - rank(b));
}

/** Answers of the runtime API that mean a command was refused (success is silent or informative). */
const REFUSED = /^(No such|Unknown command|Invalid|Require|Unexpected|Can't|Cannot|Failed|Permission denied|'set server' expects)/im;

/** The refusal in the answer to `set …` commands, or null (not for `show …` answers, whose data may contain anything). */
export function runtimeRefusal(output: string): string | null {
  const match = REFUSED.exec(output);
  if (!match) return null;
  const line = output.slice(match.index).split('\n')[0];
  return line.trim();
}

export interface ServerStat {
  backend: string;
  server: string;
  /** Current sessions plus queued ones: requests (and tunnels) in flight to this server. */
  inFlight: number;
  /** Sessions ever sent to it. */
  total: number;
}

/** Server rows of `show stat -1 4 -1` (CSV with a `# pxname,svname,…` header). */
export function parseServerStats(csv: string): ServerStat[] {
  const lines = csv.split('\n');
  const header = lines.find((line) => line.startsWith('# '));
  if (header === undefined) return [];
  const columns = header.slice(2).split(',');
  const at = (name: string) => columns.indexOf(name);
  const [px, sv, qcur, scur, stot] = [at('pxname'), at('svname'), at('qcur'), at('scur'), at('stot')];
  const stats: ServerStat[] = [];
  for (const line of lines) {
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(',');
    if (fields[sv] === 'FRONTEND' || fields[sv] === 'BACKEND') continue;
    stats.push({
      backend: fields[px],
      server: fields[sv],
      inFlight: (Number(fields[qcur]) || 0) + (Number(fields[scur]) || 0),
      total: Number(fields[stot]) || 0,
    });
  }
  return stats;
}

export interface LogRecord {
  backend: string;
  server: string;
  status: number;
  latencyMs: number;
  /** A 502/503/504 HAProxy answered itself (the termination state is not `--`). */
  proxyError: boolean;
  /** One of those because the instance was silent past a timeout (termination state `s…`). */
  timedOut: boolean;
  path: string;
}

/** One line in LOG_FORMAT (`cutover <backend> <server> <status> <Ta> <tsc> <path>`), or null for any other line. */
export function parseLogLine(line: string, prefix: string): LogRecord | null {
  if (!line.startsWith(`${prefix} `)) return null;
  const fields = line.split(' ');
  if (fields.length < 7) return null;
  const status = Number(fields[3]);
  const latencyMs = Number(fields[4]);
  if (!Number.isFinite(status) || !Number.isFinite(latencyMs)) return null;
  const termination = fields[5];
  const proxyError = (status === 502 || status === 503 || status === 504) && termination[0] !== '-';
  return {
    backend: fields[1],
    server: fields[2],
    status,
    latencyMs,
    proxyError,
    timedOut: proxyError && termination[0] === 's',
    path: fields.slice(6).join(' '),
  };
}
