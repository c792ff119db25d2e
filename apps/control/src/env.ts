import { z } from "zod";

const schema = z.object({
  DATABASE_URL: z
    .string({ error: "is required (npm start provides it; or point it at your PostgreSQL server)" })
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
  CONTROL_HOST: z.string().min(1).default("127.0.0.1"),
  CONTROL_PORT: z.coerce
    .number()
    .int("must be a whole number")
    .min(1)
    .max(65535, "must be a port (1-65535)")
    .default(3001),
  /** PEM files of control's TLS certificate and key: with both, control serves https/wss (reloaded on SIGHUP). */
  CONTROL_TLS_CERT: z.string().min(1).optional(),
  CONTROL_TLS_KEY: z.string().min(1).optional(),
  /** "1": log each rollout engine step that acted, with its duration (for the benchmark and debugging). */
  SOFTFLEET_ENGINE_TIMINGS: z.enum(["0", "1"], { error: 'must be "0" or "1"' }).default("0"),
});

export type ControlEnv = z.infer<typeof schema>;

const checked = schema.refine((env) => !env.CONTROL_TLS_CERT === !env.CONTROL_TLS_KEY, {
  message: "set both CONTROL_TLS_CERT and CONTROL_TLS_KEY, or neither",
  path: ["CONTROL_TLS_CERT"],
});

export class EnvError extends Error {}

/** Validates the environment once at start, naming each bad variable. */
export function loadEnv(env: NodeJS.ProcessEnv = process.env): ControlEnv {
  const result = checked.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
  throw new EnvError(`softfleet control: invalid configuration\n${lines.join("\n")}`);
}
