// The api process: `node src/api-main.ts` in a release directory; PORT comes from cutover's portEnv.
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import { buildApiService } from './build-api-service.ts';
import { cardEnvSchema } from './card-config.ts';

const config = loadEnvConfigOrExit('card-generation-api', cardEnvSchema);
const { service } = await buildApiService(config);
await service.start({ port: config.PORT, host: config.HOST });
