// The compliance service: `node src/main.ts` in a release directory; PORT comes from cutover's portEnv (3008 alone).
import { loadEnvConfigOrExit } from '@cutover/service-kit';
import { buildComplianceService } from './build-compliance-service.ts';
import { complianceEnvSchema } from './compliance-config.ts';

const config = loadEnvConfigOrExit('compliance', complianceEnvSchema);
const { service } = await buildComplianceService(config);
await service.start({ port: config.PORT, host: config.HOST });
