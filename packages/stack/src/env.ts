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
  PORT: port.default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  CONTROL_PORT: port.default(3001),
  SOFTFLEET_PG_PORT: port.default(54329),
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
