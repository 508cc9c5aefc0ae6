// Made-of and where-used listings kept in memory (SERIAL_GENEALOGY_CACHE_NODES) against a real
// PostgreSQL, with two stores standing for two instances: a listing is served again only while the
// genealogy is unchanged, and a change by the other instance, or by SQL by hand, shows at once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ListingJson } from '../src/genealogy/genealogy-reach.ts';
import { createGenealogyStore, type TreeNode } from '../src/genealogy/genealogy-store.ts';
import { createMigratedDatabase, type TestDatabase } from './support/test-database.ts';

const actor = { subject: 'test', requestId: 'req' };
/** The nodes of a made-of listing (the JSON the API sends). */
const listed = (listing: ListingJson) => JSON.parse(listing.json) as TreeNode[];
const link = { assemblyType: 'physical', assemblyRelationship: 'transient', operationCode: null } as const;

describe('genealogy listings kept in memory (PostgreSQL)', () => {
  let db: TestDatabase;
  const ids: Record<string, string> = {};

  before(async () => {
    db = await createMigratedDatabase('genealogy_cache');
    const { rows } = await db.pool.query<{ id: string; serial_number: string }>(
      `INSERT INTO serials (source, serial_number, normalized_serial, part_id, scope_type, scope_key)
       SELECT 'system', s, s, 'P', 'part', 'P' FROM unnest(ARRAY['TOP', 'A', 'B', 'C']) AS s RETURNING id, serial_number`,
    );
    for (const row of rows) ids[row.serial_number] = row.id;
  });
  after(() => db?.drop());

  test('a change by another instance or by hand shows in the next listing; an unchanged one is served again', async () => {
    const first = createGenealogyStore(db.pool, { depthLimit: 10, cacheNodes: 1000 });
    const second = createGenealogyStore(db.pool, { depthLimit: 10, cacheNodes: 1000 });
    assert.ok((await first.link({ parentSerialId: ids.TOP, childSerialId: ids.A, ...link }, actor)).ok);
    const before = await first.madeOf(ids.TOP);
    assert.deepEqual(
      listed(before).map((n) => n.serialNumber),
      ['A'],
    );
    assert.equal(await first.madeOf(ids.TOP), before, 'unchanged: the same listing again');

    const added = await second.link({ parentSerialId: ids.A, childSerialId: ids.B, ...link }, actor);
    assert.ok(added.ok);
    assert.deepEqual(
      listed(await first.madeOf(ids.TOP)).map((n) => [n.serialNumber, n.depth]),
      [
        ['A', 1],
        ['B', 2],
      ],
      'the link made by the other instance is listed',
    );
    assert.deepEqual(
      (await first.whereUsed(ids.B)).nodes.map((n) => n.serialNumber),
      ['A', 'TOP'],
    );

    await db.pool.query('UPDATE serial_propagations SET valid_to = now() WHERE child_serial_id = $1', [ids.B]);
    assert.deepEqual(
      listed(await first.madeOf(ids.TOP)).map((n) => n.serialNumber),
      ['A'],
      'a link ended by SQL by hand is gone',
    );
    assert.deepEqual((await first.whereUsed(ids.B)).nodes, []);

    assert.ok((await second.unlink(added.ok ? added.link.id : '', 'again', actor)).ok === false, 'already ended');
    await db.pool.query(
      "INSERT INTO serial_propagations (serial_id, parent_serial_id, child_serial_id, created_by) VALUES ($1, $1, $2, 'sql')",
      [ids.A, ids.C],
    );
    assert.deepEqual(
      listed(await first.madeOf(ids.TOP)).map((n) => n.serialNumber),
      ['A', 'C'],
      'a link inserted by SQL by hand is listed',
    );
  });

  test('with no room (0 nodes) every listing is read from the database', async () => {
    const store = createGenealogyStore(db.pool, { depthLimit: 10, cacheNodes: 0 });
    const one = await store.madeOf(ids.TOP);
    const two = await store.madeOf(ids.TOP);
    assert.notEqual(one, two);
    assert.deepEqual(one, two);
  });
});
