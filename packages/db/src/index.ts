export { Prisma, PrismaClient } from "@prisma/client";
export type {
  AuditEntry,
  Node,
  NodeGroup,
  NodeGroupMember,
  Session,
  User,
} from "@prisma/client";
export { ActorType, NodeStatus, Role } from "@prisma/client";
export { createPrismaClient, disconnectPrisma, getPrisma, type Db } from "./client";
export { DatabaseUrlError, formatDatabaseUrl, parseDatabaseUrl, redact } from "./config";
