export { newEnrollmentToken, startTestControl, type TestControl } from "./control";
export { createTestDatabase, type TestDatabase } from "./database";
export { rolloutReaches, rolloutViolations, until } from "./rollouts";
