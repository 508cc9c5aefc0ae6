/** Helpers for the tests of services built on the kit (`@cutover/service-kit/testing`): not for production code. */
export { processCpuSeconds } from '../process-cpu.ts';
export { BLOCK_SIZE, freePort, reservePortRange } from './ports.ts';
export { promqlMetricNames } from './promql-metric-names.ts';
export { type RedisCluster, type RedisClusterOptions, startRedisCluster } from './redis-cluster.ts';
export { type RedisPrefix, redisPrefix } from './redis-prefix.ts';
export { type JsonResponse, type RequestJsonOptions, requestJson } from './request-json.ts';
export { type CliResult, CUTOVER_CLI, JSON_EXIT_GRACE_MS, pathWithRepoBin, REPO_ROOT, runCutover } from './run-cli.ts';
export { type ServiceProcess, type ServiceProcessOptions, startServiceProcess } from './service-process.ts';
export { createTestDatabase, TEST_POSTGRES_ADMIN_URL, type TestDatabase, type TestDatabaseOptions } from './test-database.ts';
export { sleep, waitFor, within } from './wait-for.ts';
