export type {
  AuditEntry,
  Node,
  NodeGroup,
  NodeGroupMember,
  Session,
  User,
} from "@prisma/client";
export { ActorType, NodeStatus, Prisma, PrismaClient, Role } from "@prisma/client";
export { createPrismaClient, type Db, disconnectPrisma, getPrisma } from "./client";
export { DatabaseUrlError, formatDatabaseUrl, parseDatabaseUrl, redact } from "./config";
