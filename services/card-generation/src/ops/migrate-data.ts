// npm run migrate:data [-- --json]: fills the uniqueness records from the cards that exist, after
// a migration, a restore or an import of cards from another environment. For every BIN with cards:
// next_counter is raised above the highest counter written (a counter below it would construct a
// PAN that exists), and BINs that cards use but that are missing from card_bins are reported.
// Safe to run any time: it only ever raises counters.

import { syncBins } from '../store/bin-store.ts';
import { opsContext } from './ops-context.ts';

const ops = opsContext('migrate-data');
const problems = await syncBins(ops.pool, ops.config.SANDBOX_BINS);
const { rows } = await ops.pool.query<{ bin: string; raised_from: string; raised_to: string }>(
  `WITH used AS (SELECT bin, max(counter) + 1 AS floor FROM cards GROUP BY bin),
        old AS (SELECT b.bin, b.next_counter FROM card_bins b JOIN used u USING (bin) WHERE b.next_counter < u.floor FOR UPDATE OF b)
   UPDATE card_bins b SET next_counter = u.floor FROM used u, old o
    WHERE b.bin = u.bin AND b.bin = o.bin
   RETURNING b.bin, o.next_counter AS raised_from, b.next_counter AS raised_to`,
);
const { rows: orphans } = await ops.pool.query<{ bin: string; cards: string }>(
  'SELECT c.bin, count(*) AS cards FROM cards c LEFT JOIN card_bins b USING (bin) WHERE b.bin IS NULL GROUP BY c.bin',
);
const raised = rows.map((r) => ({ bin: r.bin, from: Number(r.raised_from), to: Number(r.raised_to) }));
const unknownBins = orphans.map((o) => ({ bin: o.bin, cards: Number(o.cards) }));
const ok = problems.length === 0 && unknownBins.length === 0;
await ops.finish(
  { raised, unknownBins, problems },
  [
    raised.length === 0
      ? 'every BIN counter is above its cards'
      : `raised ${raised.map((r) => `${r.bin} ${r.from} -> ${r.to}`).join(', ')}`,
    ...unknownBins.map((u) => `cards of BIN ${u.bin} (${u.cards}) have no card_bins row: add the BIN to SANDBOX_BINS and run again`),
    ...problems,
  ].join('\n'),
  ok,
);
