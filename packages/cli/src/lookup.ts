import type { Api } from "./api";
import { CliError } from "./errors";

/** A group by exact name (or id), or an error listing the names there are. */
export async function resolveGroup(api: Api, wanted: string) {
  const groups = await api.groups.list.query();
  const group = groups.find((g) => g.name === wanted) ?? groups.find((g) => g.id === wanted);
  if (group) return group;
  const names = groups.map((g) => g.name);
  throw new CliError(
    `no node group is named "${wanted}"${names.length ? ` (there are: ${names.slice(0, 20).join(", ")}${names.length > 20 ? ", …" : ""})` : ""}`,
  );
}
