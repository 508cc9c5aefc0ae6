import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { postgresSessionOptions } from '../../src/postgres/session-options.ts';
import { createTestDatabase } from '../../src/testing/test-database.ts';

test('the service settings follow the environment ones, which are kept', () => {
  assert.equal(postgresSessionOptions('-c jit=off', undefined), '-c jit=off');
  assert.equal(postgresSessionOptions('-c jit=off', '  '), '-c jit=off');
  assert.equal(postgresSessionOptions('-c jit=off', ' -c work_mem=8MB '), '-c work_mem=8MB -c jit=off');
});

test('a real session has both: the environment setting and the service one, which wins over a conflicting one', async () => {
  const db = await createTestDatabase('session_options', { prefix: 'sk' });
  const pool = new pg.Pool({
    connectionString: db.url,
    max: 1,
    options: postgresSessionOptions('-c jit=off', '-c work_mem=8MB -c jit=on'),
  });
  pool.on('error', () => undefined);
  try {
    const { rows } = await pool.query<{ jit: string; work_mem: string }>(
      "SELECT current_setting('jit') AS jit, current_setting('work_mem') AS work_mem",
    );
    assert.deepEqual(rows[0], { jit: 'off', work_mem: '8MB' });
  } finally {
    await pool.end();
    await db.drop();
  }
});
