import { createTestDatabase as create, type TestDatabase } from '../../src/testing/test-database.ts';

export type { TestDatabase };

/** A fresh database for one test file: `sk_<label>_<random>`. */
export const createTestDatabase = (label: string): Promise<TestDatabase> => create(label, { prefix: 'sk' });
