import type { Api } from "../api";
import { flagsOf, intFlag, onePositional } from "../args";
import { CliError } from "../errors";
import { resolveGroup } from "../lookup";
import { json, table } from "../output";
import { USAGE } from "../usage";
import type { Io } from "./io";

const PAGE = 200;

export async function nodesList(api: Api, args: string[], io: Io): Promise<number> {
  const { values } = flagsOf(
    args,
    {
      status: { type: "string" },
      group: { type: "string" },
      label: { type: "string" },
      image: { type: "string" },
      search: { type: "string" },
      limit: { type: "string" },
      json: { type: "boolean" },
    },
    USAGE["nodes list"],
  );
  const limit = intFlag("limit", values.limit) ?? 500;
  if (limit < 1 || limit > 100_000) throw new CliError("--limit: between 1 and 100000");
  const query = {
    status: values.status as never,
    group: values.group ? (await resolveGroup(api, values.group)).id : undefined,
    label: values.label,
    image: values.image,
    q: values.search,
    pageSize: PAGE as 200,
  };
  const rows = [];
  let total = 0;
  for (let page = 1; rows.length < limit; page++) {
    const result = await api.nodes.page.query({ ...query, page });
    total = result.counts.matching;
    rows.push(...result.rows);
    if (result.rows.length < PAGE) break;
  }
  const shown = rows.slice(0, limit);
  if (values.json) {
    io.out(json(shown));
    return 0;
  }
  io.out(
    table(
      ["HOSTNAME", "STATUS", "IMAGE", "STAGED", "GROUPS", "LAST DOWNTIME", "ID"],
      shown.map((n) => [
        n.hostname + (n.simulated ? " (sim)" : ""),
        n.revoked ? "revoked" : n.status,
        n.imageVersion,
        n.nextrootStaged ? (n.nextrootImageVersion ?? "yes") : null,
        n.groups.map((g) => g.name).join(",") || null,
        n.lastReboot?.phases.totalMs != null ? `${Math.round(n.lastReboot.phases.totalMs)} ms` : null,
        n.id,
      ]),
    ),
  );
  if (total > shown.length) io.err(`(${shown.length} of ${total} nodes shown: narrow with filters or raise --limit)`);
  return 0;
}

export async function nodesShow(api: Api, args: string[], io: Io): Promise<number> {
  const { values, positionals } = flagsOf(args, { json: { type: "boolean" } }, USAGE["nodes show"]);
  const wanted = onePositional(positionals, "node id or hostname", USAGE["nodes show"]);
  const id = await resolveNode(api, wanted);
  const node = await api.nodes.get.query({ id });
  if (values.json) {
    io.out(json(node));
    return 0;
  }
  const fields: Array<[string, unknown]> = [
    ["hostname", node.hostname],
    ["id", node.id],
    ["status", node.revokedAt ? "revoked" : node.status],
    ["image", node.imageVersion],
    ["staged (next root)", node.nextrootStaged ? (node.nextrootImageVersion ?? "yes") : "no"],
    ["soft-reboots", node.softRebootsCount],
    ["systemd", node.systemdVersion],
    ["agent", node.agentVersion],
    ["last seen", node.lastSeenAt?.toISOString()],
    ["groups", node.memberships.map((m) => m.group.name).join(", ") || "-"],
    [
      "labels",
      Object.entries((node.labels ?? {}) as Record<string, unknown>)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ") || "-",
    ],
  ];
  io.out(
    table(
      ["FIELD", "VALUE"],
      fields.map(([k, v]) => [k, v === null || v === undefined ? "-" : String(v)]),
    ),
  );
  return 0;
}

/** A node id as given, or the one node whose hostname is exactly this. */
async function resolveNode(api: Api, wanted: string): Promise<string> {
  const byId = await api.nodes.get.query({ id: wanted }).catch(() => null);
  if (byId) return byId.id;
  const found = await api.nodes.page.query({ q: wanted, pageSize: 200 });
  const exact = found.rows.filter((n) => n.hostname === wanted);
  if (exact.length === 1) return exact[0]!.id;
  if (exact.length > 1)
    throw new CliError(
      `${exact.length} nodes are named ${wanted}: give the node's id (${exact.map((n) => n.id).join(", ")})`,
    );
  throw new CliError(`no node has the id or hostname "${wanted}" (try: softfleet nodes list --search ${wanted})`);
}

export async function groupsList(api: Api, args: string[], io: Io): Promise<number> {
  const { values } = flagsOf(args, { json: { type: "boolean" } }, USAGE["groups list"]);
  const groups = await api.groups.list.query();
  if (values.json) {
    io.out(json(groups));
    return 0;
  }
  io.out(
    table(
      ["NAME", "MEMBERS", "SELECTOR", "ID"],
      groups.map((g) => [
        g.name,
        g._count.members,
        Object.entries((g.labelSelector ?? {}) as Record<string, string>)
          .map(([k, v]) => `${k}=${v}`)
          .join(",") || null,
        g.id,
      ]),
    ),
  );
  return 0;
}
