import { z } from "zod";

const port = z.coerce
  .number({ error: "must be a port number (1-65535)" })
  .int("must be a port number (1-65535)")
  .min(1, "must be a port number (1-65535)")
  .max(65535, "must be a port number (1-65535)");

/** The settings of `npm start`, validated once, each bad one named. */
const schema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL (leave it unset for the embedded database)")
    .optional(),
  /** The owner of the schema, for migrations; DATABASE_URL is then the apps' role with row rights only. */
  MIGRATION_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL")
    .optional(),
  /** A read replica of DATABASE_URL's database (streaming): reports read there (web's REPORTS_DATABASE_URL). */
  REPORTS_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL (a read replica of DATABASE_URL's database)")
    .optional(),
  PORT: port.default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  CONTROL_PORT: port.default(3001),
  SOFTFLEET_PG_PORT: port.default(54329),
  SOFTFLEET_DATA_DIR: z.string().min(1).optional(),
});

const checked = schema
  .refine((env) => !env.MIGRATION_DATABASE_URL || env.DATABASE_URL, {
    message: "needs DATABASE_URL too (the apps' role); the embedded database sets up its own roles",
    path: ["MIGRATION_DATABASE_URL"],
  })
  .refine((env) => !env.REPORTS_DATABASE_URL || env.DATABASE_URL, {
    message: "needs DATABASE_URL too (the primary it replicates); the embedded database has no replica",
    path: ["REPORTS_DATABASE_URL"],
  });

export type StackEnv = z.infer<typeof schema>;

export class StackEnvError extends Error {}

export function loadStackEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  const result = checked.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
  throw new StackEnvError(`invalid configuration:\n${lines.join("\n")}`);
}
