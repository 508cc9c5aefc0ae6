// npm run migrate:data [-- --json]: fills the uniqueness records from the cards that exist, after
// a migration, a restore or an import of cards from another environment. For every BIN with cards:
// next_counter is raised above the highest counter written (a counter below it would construct a
// PAN that exists), and BINs that cards use but that are missing from card_bins are reported.
// Then rows still carrying the AES pan_hash of releases before the index key get the key
// (pan-key-rewrite.ts). Safe to run any time: it only ever raises counters and rewrites old-format keys.

import { deriveCardKeys } from '../cards/card-keys.ts';
import { CardMinter } from '../cards/card-minter.ts';
import { syncBins } from '../store/bin-store.ts';
import { rewriteLegacyPanHashes } from '../store/pan-key-rewrite.ts';
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
const panKeys = await rewriteLegacyPanHashes(ops.pool, new CardMinter(deriveCardKeys(ops.config.CARD_MASTER_KEY)), ops.config.SANDBOX_BINS);
const raised = rows.map((r) => ({ bin: r.bin, from: Number(r.raised_from), to: Number(r.raised_to) }));
const unknownBins = orphans.map((o) => ({ bin: o.bin, cards: Number(o.cards) }));
const ok = problems.length === 0 && unknownBins.length === 0;
await ops.finish(
  { raised, unknownBins, panKeys, problems },
  [
    raised.length === 0
      ? 'every BIN counter is above its cards'
      : `raised ${raised.map((r) => `${r.bin} ${r.from} -> ${r.to}`).join(', ')}`,
    `pan_hash: ${panKeys.rewritten} rows of an older release given the index key${panKeys.skipped > 0 ? `, ${panKeys.skipped} left (unreadable or of a BIN not configured)` : ''}`,
    ...unknownBins.map((u) => `cards of BIN ${u.bin} (${u.cards}) have no card_bins row: add the BIN to SANDBOX_BINS and run again`),
    ...problems,
  ].join('\n'),
  ok,
);
