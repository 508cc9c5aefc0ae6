/** What one load run measured. */
export interface LoadFigures {
  targetRate: number;
  /** Messages per request: 1 is POST /api/messages, more is POST /api/messages/batch (absent: 1). */
  messagesPerRequest?: number;
  durationS: number;
  sent: number;
  accepted: number;
  /** Non-2xx answers and transport errors. */
  errors: number;
  /** Accepted messages per second over the run. */
  enqueueRate: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Worst lag of one partition seen while sampling during the run. */
  maxPartitionLag: number;
  /** Sum of all partitions' lag, worst sample. */
  maxTotalLag: number;
  deadLetters: number;
  /** Accepted messages without a persisted row at the end. */
  lost: number;
  /** Rows beyond one per accepted message (or rows naming an id nobody was given). */
  duplicated: number;
  /** From the end of sending until every accepted message was persisted. */
  drainMs: number | null;
  /** CPU (user + system) of the api and consumer processes over the run and the drain, and per accepted message. */
  cpu?: {
    apiSeconds: number;
    consumerSeconds: number;
    apiUsPerMessage: number;
    consumerUsPerMessage: number;
    /** The Redis Cluster's own servers, when the run started them (a shared Redis's CPU is not the run's). */
    redisSeconds?: number;
    redisUsPerMessage?: number;
    /** The load generator (this process) and the run database's PostgreSQL backends. */
    senderSeconds?: number;
    senderUsPerMessage?: number;
    postgresSeconds?: number;
    postgresUsPerMessage?: number;
  };
  /** 1-minute load average of the machine before and after the run, and its CPU count: the machine is shared. */
  machine: { loadBefore: number; loadAfter: number; cpus: number };
}

export interface Criterion {
  name: string;
  limit: string;
  measured: string;
  pass: boolean;
}

/** Nearest-rank percentile of an ascending array; 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** The rate as printed: whole messages per second, rounded down (a figure never shows more than was measured). */
export function printedRate(rate: number): number {
  return Math.floor(rate);
}

/** A latency as printed: tenths of a millisecond, rounded up (a figure never shows less than was measured). */
export function printedMs(ms: number): number {
  return Math.ceil(Math.round(ms * 1e6) / 1e5) / 10;
}

/** The offered rate from which the throughput target (5,000 msg/s) is judged. */
export const TARGET_RATE = 5_000;

/**
 * Judges a run against the deployment guide's load criteria (500 msg/s sustained, partition lag
 * under 1000, p95 under 100 ms, no dead letters) and our own targets (5,000 msg/s, p95 under 20 ms),
 * plus the rules that hold at any rate: nothing lost, nothing duplicated. Every PASS/MISS compares
 * the figure exactly as printed with exactly the limit printed: no hidden slack either way. The
 * throughput target is judged only when the run offered it; p95 < 20 ms is judged at any rate.
 */
export function judgeLoad(f: LoadFigures): { guide: Criterion[]; targets: Criterion[]; correctness: Criterion[] } {
  const shownRate = printedRate(f.enqueueRate);
  // Messages sent many per request are named so, never read as the single-message figures.
  const batched = (f.messagesPerRequest ?? 1) > 1 ? `, ${f.messagesPerRequest}/request` : '';
  const shownP95 = printedMs(f.latencyMs.p95);
  const rate = (limit: number): Criterion => ({
    name: `enqueue rate${batched}`,
    limit: `>= ${limit} msg/s`,
    measured: `${shownRate} msg/s`,
    pass: shownRate >= limit,
  });
  const p95 = (limit: number): Criterion => ({
    name: `ingress latency p95${batched}`,
    limit: `< ${limit} ms`,
    measured: `${shownP95.toFixed(1)} ms`,
    pass: shownP95 < limit,
  });
  const lag: Criterion = { name: 'partition lag', limit: '< 1000', measured: String(f.maxPartitionLag), pass: f.maxPartitionLag < 1000 };
  return {
    guide: [rate(500), lag, p95(100), { name: 'dead letters', limit: '0', measured: String(f.deadLetters), pass: f.deadLetters === 0 }],
    targets: [...(f.targetRate >= TARGET_RATE ? [rate(TARGET_RATE)] : []), p95(20), lag],
    correctness: [
      { name: 'errors', limit: '0', measured: String(f.errors), pass: f.errors === 0 },
      { name: 'lost messages', limit: '0', measured: String(f.lost), pass: f.lost === 0 },
      { name: 'duplicated messages', limit: '0', measured: String(f.duplicated), pass: f.duplicated === 0 },
    ],
  };
}

/** The report printed by `npm run load`. */
export function formatLoadReport(
  f: LoadFigures,
  settings: Record<string, string | number>,
  run: { command: string; startedAt: string },
): string {
  const judged = judgeLoad(f);
  const rows = (title: string, list: Criterion[]) => [
    `${title}:`,
    ...list.map((c) => `  ${c.pass ? 'PASS' : 'MISS'}  ${c.name.padEnd(30)} ${c.measured.padStart(12)}   (${c.limit})`),
  ];
  return [
    `messaging load test: ${f.targetRate} msg/s offered for ${f.durationS} s${(f.messagesPerRequest ?? 1) > 1 ? `, ${f.messagesPerRequest} messages per request (POST /api/messages/batch)` : ''} (${Object.entries(
      settings,
    )
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')})`,
    `  command: ${run.command}`,
    `  started ${run.startedAt}`,
    `  sent ${f.sent}, accepted ${f.accepted}, errors ${f.errors}; enqueue rate ${printedRate(f.enqueueRate)} msg/s`,
    `  ingress latency ms: p50 ${printedMs(f.latencyMs.p50).toFixed(1)}  p95 ${printedMs(f.latencyMs.p95).toFixed(1)}  p99 ${printedMs(f.latencyMs.p99).toFixed(1)}  max ${printedMs(f.latencyMs.max).toFixed(1)}`,
    `  partition lag: worst partition ${f.maxPartitionLag}, worst total ${f.maxTotalLag}; dead letters ${f.deadLetters}`,
    ...(f.cpu
      ? [
          `  CPU (user+sys): api ${f.cpu.apiSeconds.toFixed(2)} s = ${f.cpu.apiUsPerMessage.toFixed(0)} us/message, consumer ${f.cpu.consumerSeconds.toFixed(2)} s = ${f.cpu.consumerUsPerMessage.toFixed(0)} us/message${
            f.cpu.redisSeconds === undefined
              ? ''
              : `, redis cluster ${f.cpu.redisSeconds.toFixed(2)} s = ${(f.cpu.redisUsPerMessage ?? 0).toFixed(0)} us/message`
          }`,
          ...(f.cpu.senderSeconds === undefined
            ? []
            : [
                `  CPU (user+sys) beside the service: load generator ${f.cpu.senderSeconds.toFixed(2)} s = ${(f.cpu.senderUsPerMessage ?? 0).toFixed(0)} us/message, PostgreSQL backends ${(f.cpu.postgresSeconds ?? 0).toFixed(2)} s = ${(f.cpu.postgresUsPerMessage ?? 0).toFixed(0)} us/message`,
              ]),
        ]
      : []),
    `  machine: ${f.machine.cpus} CPUs, 1-minute load average ${f.machine.loadBefore.toFixed(1)} before, ${f.machine.loadAfter.toFixed(1)} after (other work shares them)`,
    ...(f.cpu && f.cpu.apiUsPerMessage > 0
      ? [
          `  what ${f.machine.cpus} quiet cores could carry at this CPU cost: api alone ${Math.floor((f.machine.cpus * 1e6) / f.cpu.apiUsPerMessage)} msg/s, api + consumer ${Math.floor((f.machine.cpus * 1e6) / (f.cpu.apiUsPerMessage + f.cpu.consumerUsPerMessage))} msg/s (PostgreSQL, Redis and the sender not counted)${
            f.cpu.senderUsPerMessage === undefined
              ? ''
              : `, with the load generator and PostgreSQL ${Math.floor((f.machine.cpus * 1e6) / (f.cpu.apiUsPerMessage + f.cpu.consumerUsPerMessage + f.cpu.senderUsPerMessage + (f.cpu.postgresUsPerMessage ?? 0)))} msg/s (Redis and the kernel's own threads not counted)`
          }`,
        ]
      : []),
    `  drained ${f.drainMs === null ? 'NOT within the limit' : `${f.drainMs} ms after the last send`}; lost ${f.lost}, duplicated ${f.duplicated}`,
    ...rows('guide criteria', judged.guide),
    ...rows(
      `our targets (2-core machine${f.targetRate >= TARGET_RATE ? '' : `; the ${TARGET_RATE} msg/s target is judged with --rate ${TARGET_RATE}`})`,
      judged.targets,
    ),
    ...rows('correctness', judged.correctness),
  ].join('\n');
}
