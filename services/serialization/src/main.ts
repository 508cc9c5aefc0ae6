// Entry point: `node src/main.ts` in a release directory; APP_PORT from cutover's portEnv.
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import { buildSerializationService } from './build-serialization-service.ts';
import { serializationEnvSchema } from './config/serialization-config.ts';

const config = loadEnvConfigOrExit('serialization', serializationEnvSchema);
const service = buildSerializationService(config);
await service.start({ port: config.APP_PORT, host: config.HOST });
