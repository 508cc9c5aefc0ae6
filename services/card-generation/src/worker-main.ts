// The worker process: `node src/worker-main.ts`; PORT (health and /metrics) comes from cutover's portEnv.
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import { buildWorkerService } from './build-worker-service.ts';
import { cardEnvSchema } from './card-config.ts';

const config = loadEnvConfigOrExit('card-generation-worker', cardEnvSchema);
const { service } = await buildWorkerService(config);
await service.start({ port: config.PORT, host: config.HOST });
