export type {
  AuditEntry,
  EnrollmentToken,
  Node,
  NodeCommand,
  NodeEvent,
  NodeGroup,
  NodeGroupMember,
  RebootRecord,
  Session,
  User,
} from "@prisma/client";
export { ActorType, NodeStatus, Prisma, PrismaClient, Role } from "@prisma/client";
export { createPrismaClient, type Db, disconnectPrisma, getPrisma, getReportsPrisma, type ReportsDb } from "./client";
export { DatabaseUrlError, formatDatabaseUrl, parseDatabaseUrl, redact } from "./config";
