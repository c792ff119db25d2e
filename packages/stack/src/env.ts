import { z } from "zod";

/** The settings of `npm start`, validated once, each bad one named. */
const schema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL (leave it unset for the embedded database)")
    .optional(),
  PORT: z.coerce.number().int().min(1).max(65535, "must be a port (1-65535)").default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  CONTROL_PORT: z.coerce.number().int().min(1).max(65535, "must be a port (1-65535)").default(3001),
  SOFTFLEET_PG_PORT: z.coerce.number().int().min(1).max(65535, "must be a port (1-65535)").default(54329),
  SOFTFLEET_DATA_DIR: z.string().min(1).optional(),
});

export type StackEnv = z.infer<typeof schema>;

export class StackEnvError extends Error {}

export function loadStackEnv(env: NodeJS.ProcessEnv = process.env): StackEnv {
  const result = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
  throw new StackEnvError(`invalid configuration:\n${lines.join("\n")}`);
}
