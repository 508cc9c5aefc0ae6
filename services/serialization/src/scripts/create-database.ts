// The guide's "Create Production Database" step, run by cutover before every deploy
// (hooks.preDeploy): creates the database named in DATABASE_URL when the server does not have it
// yet, connecting to the server's `postgres` database. Changes nothing when it exists.
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import pg from 'pg';
import { serializationEnvSchema } from '../config/serialization-config.ts';

const config = loadEnvConfigOrExit('serialization create-database', serializationEnvSchema);
const url = new URL(config.DATABASE_URL);
const name = decodeURIComponent(url.pathname.slice(1));
if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(name)) {
  console.error(`DATABASE_URL names the database "${name}": use letters, digits and _ (at most 63)`);
  process.exit(2);
}
url.pathname = '/postgres';
const client = new pg.Client({ connectionString: url.toString() });
await client.connect();
try {
  const { rows } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rows.length > 0) {
    console.log(`database ${name} exists`);
  } else {
    await client.query(`CREATE DATABASE "${name}"`);
    console.log(`created database ${name}`);
  }
} finally {
  await client.end();
}
