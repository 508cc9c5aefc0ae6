/** Helpers for the tests of services built on the kit (`@cutover/service-kit/testing`): not for production code. */
export { createTestDatabase, TEST_POSTGRES_ADMIN_URL, type TestDatabase, type TestDatabaseOptions } from './test-database.ts';
export { sleep, waitFor, within } from './wait-for.ts';
