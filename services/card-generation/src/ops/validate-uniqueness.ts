// npm run validate:uniqueness [-- --json] [--page-size N]: proves that no two cards share a PAN,
// that every PAN passes Luhn, sits in a sandbox BIN and is the one its counter constructs. Exit 0
// when all hold, 1 otherwise (with counts per problem and the first card ids).
import { deriveCardKeys } from '../cards/card-keys.ts';
import { CardMinter } from '../cards/card-minter.ts';
import { opsContext, option } from './ops-context.ts';
import { type CardRowForCheck, UniquenessCheck } from './uniqueness-check.ts';

const ops = opsContext('validate-uniqueness');
const pageSize = Number(option(ops.args, 'page-size', '50000'));
const check = new UniquenessCheck(new CardMinter(deriveCardKeys(ops.config.CARD_MASTER_KEY)), ops.config.SANDBOX_BINS);
const startedAt = performance.now();
let after: [string, number] = ['', -1];
for (;;) {
  const { rows } = await ops.pool.query<CardRowForCheck & { counter: string }>(
    `SELECT id, bin, counter, pan_hash, pan_ciphertext FROM cards WHERE (bin, counter) > ($1, $2) ORDER BY bin, counter LIMIT $3`,
    [after[0], after[1], pageSize],
  );
  if (rows.length === 0) break;
  check.add(rows.map((r) => ({ ...r, counter: Number(r.counter) })));
  const last = rows[rows.length - 1];
  after = [last.bin, Number(last.counter)];
  ops.say(`${check.report.cards} cards checked`);
}
// The database's own view, as a cross-check of the in-memory one.
const { rows: dupes } = await ops.pool.query(
  'SELECT count(*)::int AS n FROM (SELECT pan_hash FROM cards GROUP BY pan_hash HAVING count(*) > 1) d',
);
const durationMs = Math.round(performance.now() - startedAt);
const { report } = check;
const problems = Object.entries(report.problems)
  .filter(([, n]) => n > 0)
  .map(([kind, n]) => `${kind}: ${n}`);
await ops.finish(
  { ...report, databaseDuplicateHashes: dupes[0].n, durationMs },
  check.ok && dupes[0].n === 0
    ? `uniqueness holds: ${report.cards} cards, every PAN distinct, Luhn-valid, in its sandbox BIN and constructed from its counter (${durationMs} ms)`
    : `uniqueness VIOLATED over ${report.cards} cards: ${problems.join(', ')}; first: ${report.examples.map((e) => `${e.id} (${e.kind})`).join(', ')}`,
  check.ok && dupes[0].n === 0,
);
