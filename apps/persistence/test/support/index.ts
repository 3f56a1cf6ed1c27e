export { createTestDatabase, type TestDatabase } from './create-test-database.ts';
export { createPersistenceClients, startTestPersistence, type PersistenceClients, type TestPersistence } from './start-test-persistence.ts';
export { jobSpec } from './fixtures.ts';
export { spawnPersistence, type PersistenceProcess } from './spawn-persistence.ts';
export { findTextInDatabase } from './find-text-in-database.ts';
