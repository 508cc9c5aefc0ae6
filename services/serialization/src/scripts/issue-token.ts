// Prints an access token signed with JWT_SECRET, for operators and scripts:
//   node --env-file=.env.production src/scripts/issue-token.ts [subject] [read|write|admin] [ttl seconds]
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import { ADMIN_SCOPE, createTokenService, READ_SCOPE, WRITE_SCOPE } from '../auth/token-service.ts';
import { serializationEnvSchema } from '../config/serialization-config.ts';

const config = loadEnvConfigOrExit('serialization token', serializationEnvSchema);
const [subject = 'operator', level = 'write', ttl] = process.argv.slice(2);
const scopes = { read: [READ_SCOPE], write: [READ_SCOPE, WRITE_SCOPE], admin: [READ_SCOPE, WRITE_SCOPE, ADMIN_SCOPE] }[level];
if (!scopes) {
  console.error(`unknown level "${level}": read, write or admin`);
  process.exit(2);
}
const tokens = createTokenService(config.JWT_SECRET, config.JWT_EXPIRATION);
console.log(await tokens.sign(subject, scopes, ttl ? Number(ttl) : undefined));
