export { decoyHash, hashPassword, verifyPassword } from "./password";
export { hasRole, ROLES } from "./roles";
export {
  type ActiveSession,
  createSession,
  invalidateSession,
  readCookie,
  SESSION_COOKIE,
  type SessionUser,
  validateSessionToken,
} from "./session";
