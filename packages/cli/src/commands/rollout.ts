import type { Api } from "../api";
import { flagsOf, intFlag, onePositional } from "../args";
import { CliError } from "../errors";
import { resolveGroup } from "../lookup";
import { json, table } from "../output";
import { PLAN_FLAGS, type PlanFlags, planOf } from "../plan";
import { USAGE } from "../usage";
import { watchRollout } from "../watch";
import type { Io } from "./io";

const WATCH_FLAGS = {
  json: { type: "boolean" },
  verbose: { type: "boolean" },
  timeout: { type: "string" },
} as const;

function watchOptions(values: { json?: boolean; verbose?: boolean; timeout?: string }) {
  const timeoutSec = intFlag("timeout", values.timeout) ?? 0;
  if (timeoutSec < 0) throw new CliError("--timeout: seconds, 0 or more (0: wait as long as it takes)");
  return { json: values.json ?? false, verbose: values.verbose ?? false, timeoutSec };
}

export async function rolloutStart(api: Api, args: string[], io: Io): Promise<number> {
  const { values } = flagsOf(
    args,
    { group: { type: "string" }, wait: { type: "boolean" }, ...WATCH_FLAGS, ...PLAN_FLAGS },
    USAGE["rollout start"],
  );
  if (!values.group) throw new CliError(`--group is required\nusage: ${USAGE["rollout start"]}`);
  if (!values.image && !values["plan-file"])
    throw new CliError(`--image is required\nusage: ${USAGE["rollout start"]}`);
  const options = watchOptions(values);
  const plan = planOf(values as PlanFlags);
  const group = await resolveGroup(api, values.group);
  const created = await api.rollouts.create.mutate({ groupId: group.id, plan });
  if (!values.wait) {
    if (values.json) io.out(json(created));
    else
      io.out(
        `rollout ${created.id} started: ${created.nodes} nodes in ${created.batches} batches (follow it: softfleet rollout watch ${created.id})`,
      );
    return 0;
  }
  return watchRollout(api, created.id, io.out, options);
}

export async function rolloutWatch(api: Api, args: string[], io: Io): Promise<number> {
  const usage = USAGE["rollout watch"];
  const { values, positionals } = flagsOf(args, WATCH_FLAGS, usage);
  const id = onePositional(positionals, "rollout id", usage);
  return watchRollout(api, id, io.out, { ...watchOptions(values), history: 10 });
}

const VERB_OF = { pause: "paused", resume: "resumed", abort: "aborted", approve: "approved" } as const;

export async function rolloutAct(api: Api, action: keyof typeof VERB_OF, args: string[], io: Io): Promise<number> {
  const usage = USAGE[`rollout ${action}`];
  const { values, positionals } = flagsOf(args, { json: { type: "boolean" } }, usage);
  const id = onePositional(positionals, "rollout id", usage);
  const result = await api.rollouts.act.mutate({ id, action });
  if (values.json) io.out(json(result));
  else io.out(`rollout ${id} ${VERB_OF[action]}: ${result.from} -> ${result.to}`);
  return 0;
}

export async function rolloutList(api: Api, args: string[], io: Io): Promise<number> {
  const usage = USAGE["rollout list"];
  const { values } = flagsOf(args, { limit: { type: "string" }, json: { type: "boolean" } }, usage);
  const rollouts = await api.rollouts.list.query({ limit: intFlag("limit", values.limit) ?? 20 });
  if (values.json) {
    io.out(json(rollouts));
    return 0;
  }
  io.out(
    table(
      ["ID", "GROUP", "IMAGE", "STATUS", "PROGRESS", "STARTED", "BY"],
      rollouts.map((r) => [
        r.id,
        r.groupName,
        (r.plan as { targetImageVersion?: string | null }).targetImageVersion,
        r.status,
        `${r.progress.succeeded}/${r.progress.total}${r.progress.failed ? ` (${r.progress.failed} failed)` : ""}`,
        r.createdAt.toISOString().slice(0, 19).replace("T", " "),
        r.createdByName,
      ]),
    ),
  );
  return 0;
}
