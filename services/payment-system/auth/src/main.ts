// Entry point of the auth service: `node src/main.ts` in a release directory, PORT from cutover's portEnv.
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import { authEnvSchema } from './auth-config.ts';
import { buildAuthService } from './build-auth-service.ts';
import { loadSigningKeys } from './signing-keys.ts';

const config = loadEnvConfigOrExit('payment-auth', authEnvSchema);
let signingKeys: Awaited<ReturnType<typeof loadSigningKeys>>;
try {
  signingKeys = await loadSigningKeys(config.AUTH_SIGNING_KEYS_FILE);
} catch (error) {
  process.stderr.write(`payment-auth: AUTH_SIGNING_KEYS_FILE: ${(error as Error).message}\n`);
  process.stderr.write('create it with: node auth/src/generate-signing-key.ts <file>\n');
  process.exit(78);
}
const service = await buildAuthService(config, { signingKeys });
await service.start({ port: config.PORT, host: config.HOST });
