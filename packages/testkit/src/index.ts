/**
 * @softfleet/testkit: what tests and benchmarks share. The run's Postgres
 * (`./global-setup`, Vitest's global setup) and a fresh migrated database per
 * test file, real control processes, waits on rollouts, lab nodes (`./lab`),
 * fleets written straight into the database (`./fleet-fixtures`) and the
 * payload prober (`./prober`). No tests of its own.
 */
export { newEnrollmentToken, startTestControl, type TestControl } from "./control";
export { createTestDatabase, type TestDatabase } from "./database";
export { rolloutReaches, rolloutViolations, until } from "./rollouts";
