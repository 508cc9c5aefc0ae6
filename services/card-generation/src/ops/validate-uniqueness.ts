// npm run validate:uniqueness [-- --json] [--page-size N]: proves that no two cards share a PAN,
// that every PAN passes Luhn, sits in a sandbox BIN and is the one its counter constructs. Exit 0
// when all hold, 1 otherwise (with counts per problem and the first card ids). The deploy's
// validation runs the same check through GET /api/v1/admin/uniqueness.
import { processCpuSeconds } from '@cutover/service-kit';
import { deriveCardKeys } from '../cards/card-keys.ts';
import { CardMinter } from '../cards/card-minter.ts';
import { opsContext, option } from './ops-context.ts';
import { runUniquenessCheck } from './uniqueness-check.ts';

const ops = opsContext('validate-uniqueness');
const backends = await ops.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
const run = await runUniquenessCheck(ops.pool, new CardMinter(deriveCardKeys(ops.config.CARD_MASTER_KEY)), ops.config.SANDBOX_BINS, {
  pageSize: Number(option(ops.args, 'page-size', '50000')),
  onPage: (checked) => ops.say(`${checked} cards checked`),
});
const { ok, ...report } = run;
const cpu = process.cpuUsage();
// Where it can be read (same host): what the check cost in CPU, whatever else the machine runs.
const cpuSeconds = { node: (cpu.user + cpu.system) / 1e6, postgresBackend: processCpuSeconds(backends.rows[0].pid) ?? null };
const problems = Object.entries(run.problems)
  .filter(([, n]) => n > 0)
  .map(([kind, n]) => `${kind}: ${n}`);
await ops.finish(
  { ...report, cpuSeconds },
  ok
    ? `uniqueness holds: ${run.cards} cards, every PAN distinct, Luhn-valid, in its sandbox BIN and constructed from its counter (${run.durationMs} ms)`
    : `uniqueness VIOLATED over ${run.cards} cards: ${problems.join(', ')}${run.databaseDuplicateHashes ? `, duplicate hashes in the database: ${run.databaseDuplicateHashes}` : ''}; first: ${run.examples.map((e) => `${e.id} (${e.kind})`).join(', ')}`,
  ok,
);
