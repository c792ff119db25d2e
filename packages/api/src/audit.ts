import type { ActorType, Db, Prisma } from "@softfleet/db";
import type { Context } from "./context";

export type Tx = Prisma.TransactionClient;

export interface AuditTarget {
  type: string;
  id: string;
  name?: string;
}

export interface AuditedChange<T> {
  result: T;
  target?: AuditTarget;
  details?: Prisma.InputJsonValue;
}

interface Actor {
  type: ActorType;
  userId: string | null;
  name: string;
  /** How the user acted when not through their browser login: "token <name>". */
  via?: string | null;
}

function actorOf(ctx: Context): Actor {
  const session = ctx.session;
  if (!session) return { type: "system", userId: null, name: "anonymous" };
  const via = session.token ? `token ${session.token.name}` : null;
  return { type: "user", userId: session.user.id, name: session.user.username, via };
}

export async function writeAudit(
  tx: Tx | Db,
  ctx: Context,
  action: string,
  entry: { target?: AuditTarget; details?: Prisma.InputJsonValue; actor?: Actor },
): Promise<void> {
  const actor = entry.actor ?? actorOf(ctx);
  await tx.auditEntry.create({
    data: {
      actorType: actor.type,
      actorUserId: actor.userId,
      actorName: actor.name,
      via: actor.via ?? null,
      action,
      targetType: entry.target?.type ?? null,
      targetId: entry.target?.id ?? null,
      targetName: entry.target?.name ?? null,
      details: entry.details,
      sourceIp: ctx.meta.sourceIp,
    },
  });
}

/**
 * Runs a change and writes its audit entry in one transaction: either both
 * land or neither does.
 */
export function audited<T>(
  ctx: Context,
  action: string,
  change: (tx: Tx) => Promise<AuditedChange<T>>,
  options: { actor?: Actor } = {},
): Promise<T> {
  return ctx.db.$transaction(async (tx) => {
    const { result, target, details } = await change(tx);
    await writeAudit(tx, ctx, action, { target, details, actor: options.actor });
    return result;
  });
}
