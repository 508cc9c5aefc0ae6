// Writes (or rotates) the auth service's JWT signing keys.
//   node auth/src/generate-signing-key.ts <file>            create the file with one new key (refuses to overwrite)
//   node auth/src/generate-signing-key.ts <file> --rotate   put a new key first and keep the previous one published
// After a rotation, restart (deploy) the auth service, then the payments service picks the new kid up from the JWKS;
// run --rotate again (or drop the old key) once the longest token lifetime has passed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateSigningKey } from '@cutover/service-kit';
import { parseSigningKeys } from './signing-keys.ts';

const [file, flag] = process.argv.slice(2);
if (!file || (flag !== undefined && flag !== '--rotate')) {
  process.stderr.write('usage: node generate-signing-key.ts <file> [--rotate]\n');
  process.exit(2);
}
const exists = existsSync(file);
if (exists && flag !== '--rotate') {
  process.stderr.write(`${file} exists; pass --rotate to add a new key in front of the current one\n`);
  process.exit(1);
}
const previous = exists ? parseSigningKeys(readFileSync(file, 'utf8'), file) : [];
const key = await generateSigningKey('EdDSA');
writeFileSync(file, `${JSON.stringify({ keys: [key, ...previous.slice(0, 1)] }, null, 2)}\n`, { mode: 0o600 });
process.stdout.write(`${file}: signing with kid ${key.kid}${previous.length ? `, still publishing ${previous[0].kid}` : ''}\n`);
