// Table genealogy_reach (migration 0008) against the walk link by link it replaces for made-of:
// after links, ends, re-parenting, shared components (a serial in two assemblies), a placeholder's
// links moving to its serial, and SQL by hand (rename, delete, truncate), every serial's made-of
// read from the table lists what the recursive walk lists. The migration fills it from the links
// already there.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGenealogyStore, type Traversal, traverse, walk } from '../src/genealogy/genealogy-store.ts';
import { createPlaceholderStore } from '../src/placeholders/placeholder-store.ts';
import { createMigratedDatabase, cutoverMigrate, type TestDatabase } from './support/test-database.ts';

const actor = { subject: 'test', requestId: 'req' };
const LIMIT = 6;
const canonical = (t: Traversal) => ({
  truncated: t.truncated,
  nodes: t.nodes
    .map((n) => [n.serialId, n.viaSerialId, n.depth, n.serialNumber, n.partId, n.source, n.assemblyType, n.assemblyRelationship].join('|'))
    .sort(),
});

describe('genealogy_reach (PostgreSQL)', () => {
  let db: TestDatabase;
  let serials: string[] = [];

  before(async () => {
    db = await createMigratedDatabase('genealogy_reach');
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO serials (source, serial_number, normalized_serial, part_id, scope_type, scope_key)
       SELECT 'system', 'R' || n, 'R' || n, 'P', 'part', 'P' FROM generate_series(1, 24) AS n ORDER BY n RETURNING id`,
    );
    serials = rows.map((r) => r.id);
  });
  after(() => db?.drop());

  const assertSame = async (what: string) => {
    for (const id of serials) {
      const fromTable = await traverse(db.pool, id, 'down', LIMIT);
      const walked = await walk(db.pool, id, 'down', LIMIT);
      assert.deepEqual(canonical(fromTable), canonical(walked), `${what}: made-of of ${id}`);
      // Listed by depth, then serial number in code-point order, as PostgreSQL's index sends them.
      const order = fromTable.nodes.map((n) => [n.depth, n.serialNumber] as const);
      const sorted = [...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
      assert.deepEqual(order, sorted, `${what}: made-of of ${id} in listing order`);
    }
  };

  test('links, ends, re-parenting and shared components list what the walk lists', async () => {
    const store = createGenealogyStore(db.pool, { depthLimit: LIMIT });
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const open: string[] = [];
    // A diamond first: R5 is reached from R1 by two chains of two links (through R2 and R3).
    for (const [parent, child] of [
      [0, 1],
      [0, 2],
      [1, 3],
      [2, 3],
      [3, 4],
    ]) {
      const result = await store.link(
        {
          parentSerialId: serials[parent],
          childSerialId: serials[child],
          assemblyType: 'physical',
          assemblyRelationship: 'transient',
          operationCode: null,
        },
        actor,
      );
      assert.ok(result.ok);
      open.push(result.link.id);
    }
    const shared = await traverse(db.pool, serials[0], 'down', LIMIT);
    assert.equal(shared.nodes.filter((n) => n.serialId === serials[4]).length, 2, 'listed once per chain');
    await assertSame('diamond');
    for (let step = 0; step < 120; step++) {
      if (open.length > 0 && random(4) === 0) {
        const [linkId] = open.splice(random(open.length), 1);
        assert.ok((await store.unlink(linkId, 'test', actor)).ok);
      } else {
        const result = await store.link(
          {
            parentSerialId: serials[random(serials.length)],
            childSerialId: serials[random(serials.length)],
            assemblyType: random(2) === 0 ? 'physical' : 'logical',
            assemblyRelationship: 'transient',
            operationCode: null,
          },
          actor,
        );
        if (result.ok) open.push(result.link.id);
      }
      if (step % 20 === 19) await assertSame(`step ${step}`);
    }
    // A link's kind changed by hand, a serial renamed, a link deleted: the rows follow.
    await db.pool.query("UPDATE serial_propagations SET assembly_type = 'logical' WHERE id = $1", [open[0]]);
    // A serial and part ids holding what JSON escapes: the listing's JSON text keeps them.
    await db.pool.query("UPDATE serials SET serial_number = 'RE\"NAMED', part_id = E'Q\\x1fR\\\\' WHERE id = $1", [serials[3]]);
    await db.pool.query("UPDATE serials SET part_id = E'S\\nT\"' WHERE id = $1", [serials[4]]);
    await db.pool.query('DELETE FROM serial_propagations WHERE id = $1', [open[1]]);
    await assertSame('changed by hand');
  });

  test("a placeholder's links move to its serial", async () => {
    const store = createGenealogyStore(db.pool, { depthLimit: LIMIT });
    const placeholders = createPlaceholderStore(db.pool);
    const placeholder = await placeholders.create({ partId: 'P', operationCode: null, workOrder: null }, actor);
    const { rows } = await db.pool.query<{ id: string }>(
      "INSERT INTO serials (source, serial_number, normalized_serial, part_id, scope_type, scope_key) VALUES ('system', 'FINAL', 'FINAL', 'P', 'part', 'P') RETURNING id",
    );
    const final = rows[0].id;
    const kind = { assemblyType: 'physical', assemblyRelationship: 'transient', operationCode: null } as const;
    assert.ok((await store.link({ parentSerialId: placeholder.id, childSerialId: serials[20], ...kind }, actor)).ok);
    assert.ok((await store.link({ parentSerialId: serials[21], childSerialId: placeholder.id, ...kind }, actor)).ok);
    serials.push(placeholder.id, final);
    await assertSame('placeholder linked');
    const resolved = await placeholders.resolve(
      placeholder.id,
      { kind: 'serial', serialId: final },
      { source: 'manual', actor, scope: 'part', batchSize: 10, auditBatchSize: 10 },
    );
    assert.ok(resolved.ok);
    await assertSame('placeholder resolved');
    const below = await traverse(db.pool, serials[21], 'down', LIMIT);
    assert.ok(below.nodes.some((n) => n.serialId === final && n.depth === 1));
  });

  test('the migration fills the table from the open links; truncating the links empties it', async () => {
    const before = await Promise.all(serials.map((id) => traverse(db.pool, id, 'down', LIMIT).then(canonical)));
    // Back to before migration 0008 (0011, 0010, 0009, 0008), then up: both fills run again.
    assert.equal((await cutoverMigrate(db.url, ['down', '--steps', '4'])).code, 0);
    assert.equal((await cutoverMigrate(db.url, ['up'])).code, 0);
    const afterUp = await Promise.all(serials.map((id) => traverse(db.pool, id, 'down', LIMIT).then(canonical)));
    assert.deepEqual(afterUp, before);
    await assertSame('after the migration');
    await db.pool.query('TRUNCATE serial_propagations');
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM genealogy_reach');
    assert.equal(rows[0].n, 0);
  });
});
