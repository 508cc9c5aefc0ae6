// The consumer process: `node src/consumer-main.ts`; health and /metrics on PORT, partition workers per lease.
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import { buildConsumerService } from './build-consumer-service.ts';
import { messagingEnvSchema } from './messaging-config.ts';

const config = loadEnvConfigOrExit('messaging-consumer', messagingEnvSchema);
const consumer = await buildConsumerService(config);
await consumer.start();
