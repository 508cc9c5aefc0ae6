// Entry point of the payments service: `node src/main.ts` in a release directory, PORT from cutover's portEnv.
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import { buildPaymentsService } from './build-payments-service.ts';
import { paymentsEnvSchema } from './payments-config.ts';

const config = loadEnvConfigOrExit('payment-payments', paymentsEnvSchema);
const service = buildPaymentsService(config);
await service.start({ port: config.PORT, host: config.HOST });
