// Writes and rotates the auth service's JWT signing keys (a JSON key set, newest signing key first).
//   node auth/src/generate-signing-key.ts <file>             create the file with one key (refuses to overwrite)
//   node auth/src/generate-signing-key.ts <file> --rotate    add a new key AFTER the signing one: published, not yet signing
//   node auth/src/generate-signing-key.ts <file> --promote   sign with the newest key, keep the previous one published
// Rotation: --rotate, deploy auth, wait until every verifier refreshed its cached key set (payments keeps
// it 10 min), then --promote and deploy auth again. Verifiers then already know the new kid when the
// first token signed with it arrives. The next --rotate drops the key retired by --promote: run it
// only once the longest token lifetime (15 min) has passed since the promotion.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { generateSigningKey } from '@cutover/service-kit';
import { parseSigningKeys } from './signing-keys.ts';

const [file, flag] = process.argv.slice(2);
if (!file || (flag !== undefined && flag !== '--rotate' && flag !== '--promote')) {
  process.stderr.write('usage: node generate-signing-key.ts <file> [--rotate | --promote]\n');
  process.exit(2);
}
const exists = existsSync(file);
if (exists === (flag === undefined)) {
  process.stderr.write(exists ? `${file} exists; use --rotate or --promote\n` : `${file} does not exist; run without a flag first\n`);
  process.exit(1);
}
const current = exists ? parseSigningKeys(readFileSync(file, 'utf8'), file) : [];
let keys = current;
if (flag === '--promote') {
  if (current.length < 2) {
    process.stderr.write(`${file} has no second key to promote; run --rotate first\n`);
    process.exit(1);
  }
  keys = [current[1], current[0]];
} else {
  const key = await generateSigningKey('EdDSA');
  keys = flag === '--rotate' ? [current[0], key] : [key];
}
writeFileSync(file, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
process.stdout.write(`${file}: signing with kid ${keys[0].kid}${keys[1] ? `, also publishing ${keys[1].kid}` : ''}\n`);
