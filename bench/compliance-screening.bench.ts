// Sanctions screening of one name against a 20,000-entry list in the official OFAC format (target
// p99 under 5 ms), side by side with the anchor: the same scoring without the index (every name and
// alias compared). Then the service's /health/ready p99 under load and the readiness time of a new
// instance (process start to the first ready answer), with PostgreSQL and Redis on loopback.
// Wall-clock percentiles on a busy machine include the time the scheduler gives other processes;
// "fastest of 5 runs per name" is the work itself, and CPU time per name and the garbage collections
// during the loop say where the rest went.
//   node bench/compliance-screening.bench.ts [--entries 20000] [--names 2000] [--skip-service]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createTestDatabase } from '@cutover/service-kit/testing';
import { jaroWinkler } from '../services/compliance/src/sanctions/jaro-winkler.ts';
import { nameTokens } from '../services/compliance/src/sanctions/normalize-name.ts';
import { loadSanctionsList } from '../services/compliance/src/sanctions/sanctions-list-holder.ts';
import { measureThroughput } from './support/autocannon.ts';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '20000' },
    names: { type: 'string', default: '2000' },
    'skip-service': { type: 'boolean', default: false },
  },
});
const ENTRIES = Number(values.entries);
const NAMES = Number(values.names);
const THRESHOLD = 0.9;

// A deterministic generator of name-like strings (xorshift), so every run screens the same list.
let seed = 0x2545f491;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 0x1_0000_0000;
};
// Consonant-vowel syllables with an optional closing consonant: about 1,600 of them, so that the
// names have roughly the letter-pair variety of real transliterated names.
const SYLLABLES = [...'bcdfghjklmnprstvwyz'].flatMap((c) =>
  [...'aeiou'].flatMap((v) => ['', 'n', 'r', 'l', 's', 'm', 'd', 'k', 'sh', 'f', 'z', 't', 'b', 'h', 'y', 'x', 'q'].map((e) => c + v + e)),
);
const word = () => {
  const parts = 2 + Math.floor(random() * 2);
  let out = '';
  for (let i = 0; i < parts; i++) out += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
  return out.toUpperCase();
};
const SUFFIXES = ['LLC', 'TRADING CO', 'SHIPPING', 'GROUP', 'HOLDINGS LTD', 'INDUSTRIES', 'EVENTS HALL'];

const dir = mkdtempSync(join(tmpdir(), 'cmp-bench-'));
const sdn: string[] = [];
const alt: string[] = [];
const names: string[] = [];
for (let i = 1; i <= ENTRIES; i++) {
  const individual = random() < 0.5;
  const name = individual ? `${word()}, ${word()} ${word()}` : `${word()} ${word()} ${SUFFIXES[Math.floor(random() * SUFFIXES.length)]}`;
  sdn.push(`${i},"${name}",${individual ? '"individual"' : '-0- '},"SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- `);
  if (random() < 0.5) alt.push(`${i},${i},"aka","${word()} ${word()}",-0- `);
  if (names.length < NAMES && random() < 0.2) {
    // Queries: half near-misses of a listed name (one letter changed), half unrelated names.
    const plain = individual ? name.split(', ').reverse().join(' ') : name;
    const at = Math.floor(random() * plain.length);
    names.push(random() < 0.5 ? `${plain.slice(0, at)}${'E'}${plain.slice(at + 1)}` : `${word()} ${word()} ${word()}`);
  }
}
writeFileSync(join(dir, 'SDN.CSV'), `${sdn.join('\r\n')}\r\n\x1a`);
writeFileSync(join(dir, 'ALT.CSV'), `${alt.join('\r\n')}\r\n\x1a`);
writeFileSync(join(dir, 'names.json'), JSON.stringify(names));

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const summary = (label: string, timings: number[], matches: number) => {
  const sorted = [...timings].sort((a, b) => a - b);
  return {
    contender: label,
    names: timings.length,
    p50Ms: +percentile(sorted, 50).toFixed(3),
    p99Ms: +percentile(sorted, 99).toFixed(3),
    maxMs: +sorted.at(-1)!.toFixed(3),
    matches,
  };
};

const loadStarted = performance.now();
const loaded = await loadSanctionsList({ sdnFile: join(dir, 'SDN.CSV'), altFile: join(dir, 'ALT.CSV') });
if (!loaded.ok) throw new Error(loaded.detail);
const loadMs = performance.now() - loadStarted;
const list = loaded.list;

// The anchor: every variant compared by the full-name score, no index, no length bound.
const variants = [...sdn.map((line) => line.split('"')[1]), ...alt.map((line) => line.split('"')[3])].map((name) =>
  nameTokens(name).join(' '),
);
const naive = (name: string) => {
  const query = nameTokens(name).join(' ');
  let hits = 0;
  for (const candidate of variants) if (jaroWinkler(query, candidate) >= THRESHOLD) hits++;
  return hits;
};

for (const name of names.slice(0, 200)) list.screen(name, THRESHOLD); // warm up
// Garbage collections during the screening loop: a pause inside a screening is its latency.
const gcPauses: number[] = [];
const gcObserver = new PerformanceObserver((items) => {
  for (const entry of items.getEntries()) gcPauses.push(entry.duration);
});
gcObserver.observe({ entryTypes: ['gc'] });
const indexed: number[] = [];
let indexedMatches = 0;
const cpuBefore = process.cpuUsage();
for (const name of names) {
  const startedAt = performance.now();
  indexedMatches += list.screen(name, THRESHOLD).length > 0 ? 1 : 0;
  indexed.push(performance.now() - startedAt);
}
const cpu = process.cpuUsage(cpuBefore);
await new Promise((resolve) => setTimeout(resolve, 50));
gcObserver.disconnect();
const cpuPerNameMs = (cpu.user + cpu.system) / 1000 / names.length;
// The work itself, without the time other processes of a busy machine take the CPU away: each name
// screened 5 times, its fastest run kept (a run the scheduler interrupted is never the fastest).
const fastest: number[] = [];
for (const name of names) {
  let min = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 5; run++) {
    const startedAt = performance.now();
    list.screen(name, THRESHOLD);
    min = Math.min(min, performance.now() - startedAt);
  }
  fastest.push(min);
}
// The machine's own tail for work this long: a busy loop as long as the median screening, timed the
// same way. When its p99 is as high as screen()'s, the tail is time off the CPU, not the screening.
const medianMs = [...indexed].sort((a, b) => a - b)[Math.floor(indexed.length / 2)];
const spins: number[] = [];
for (let i = 0; i < names.length; i++) {
  const startedAt = performance.now();
  while (performance.now() - startedAt < medianMs) {}
  spins.push(performance.now() - startedAt);
}
const scanned: number[] = [];
let scannedMatches = 0;
for (const name of names.slice(0, 100)) {
  const startedAt = performance.now();
  scannedMatches += naive(name) > 0 ? 1 : 0;
  scanned.push(performance.now() - startedAt);
}
console.log(`list: ${list.identity.entries} entries, ${list.identity.aliases} aliases, loaded and indexed in ${loadMs.toFixed(0)} ms`);
console.table([
  summary('compliance screen() (trigram index)', indexed, indexedMatches),
  summary('compliance screen(), fastest of 5 runs per name', fastest, indexedMatches),
  summary('anchor: full scan, no index', scanned, scannedMatches),
  summary(`anchor: busy loop of the median screening (${medianMs.toFixed(3)} ms)`, spins, 0),
]);
console.log(`CPU time per screened name (user + system): ${cpuPerNameMs.toFixed(3)} ms`);
console.log(
  `garbage collections during the ${names.length} screenings: ${gcPauses.length}, ${gcPauses.reduce((a, b) => a + b, 0).toFixed(1)} ms in all, longest ${Math.max(0, ...gcPauses).toFixed(1)} ms`,
);
console.log(
  `load average during screening: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);

if (!values['skip-service']) {
  const db = await createTestDatabase('bench', { prefix: 'cmp' });
  const docs = join(dir, 'docs');
  mkdirSync(docs);
  const env = {
    ...process.env,
    PORT: '0',
    DATABASE_URL: db.url,
    REDIS_URL: 'redis://127.0.0.1:6379/0',
    REDIS_KEY_PREFIX: `cmp-bench:${randomBytes(3).toString('hex')}:`,
    JWT_SECRET: 'bench-jwt-secret-0123456789abcdef0123456789',
    WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    STRIPE_WEBHOOK_SECRET: 'whsec_bench_0123456789abcdef',
    DOCUMENT_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    DOCUMENT_STORAGE_DIR: docs,
    SANCTIONS_SDN_FILE: join(dir, 'SDN.CSV'),
    SANCTIONS_ALT_FILE: join(dir, 'ALT.CSV'),
    LOG_LEVEL: 'info',
  };
  const port = 25_900 + Math.floor(Math.random() * 90);
  const startedAt = performance.now();
  const child = spawn(process.execPath, ['services/compliance/src/main.ts'], {
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    let readyMs = Number.NaN;
    for (let i = 0; i < 600; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/health/ready`)
        .then((r) => r.status === 200)
        .catch(() => false);
      if (ok) {
        readyMs = performance.now() - startedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    console.log(
      `readiness of a new instance (spawn to first 200 on /health/ready, ${ENTRIES}-entry list loaded at start): ${readyMs.toFixed(0)} ms`,
    );
    for (const connections of [10, 50]) {
      const result = await measureThroughput(`http://127.0.0.1:${port}/health/ready`, connections, 10);
      console.log(
        `/health/ready, ${connections} connections, 10 s: ${result.reqPerSec.toFixed(0)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, failed ${result.failed}; load ${loadavg()
          .map((v) => v.toFixed(2))
          .join(' ')}`,
      );
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await db.drop();
  }
}
if (process.env.KEEP_BENCH_LIST) console.log(dir);
else rmSync(dir, { recursive: true, force: true });
