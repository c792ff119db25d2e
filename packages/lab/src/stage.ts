import { basename, join } from "node:path";
import { LabError } from "./errors";
import { builtImage } from "./image";
import { runningNode } from "./inside";
import { ensureVersionLayer } from "./layers";
import { IN_NODE } from "./layout";
import { nsenter } from "./nspawn";
import { assertPrerequisites } from "./prereq";
import { progress } from "./progress";
import { readState } from "./state";

/**
 * Staging a new image at /run/nextroot inside a node, so that `systemctl
 * soft-reboot` switches root into it.
 *
 * The node's mount namespace cannot see host paths, and a host mount cannot be
 * placed into it. So every node gets the image cache (read-only), its own
 * config layer and a writable stage directory bound under /run/host at boot,
 * and the overlay is mounted from inside the node (nsenter into its mount
 * namespace): lower = version layer + config layer + softfleet layer + base,
 * upper/work in the node's stage directory on the host's disk. Nothing is
 * copied: staging takes milliseconds and no memory. /run/host rather than,
 * say, /var/lib: switch-root carries /run/host (with its mounts) into the new
 * root, so the same paths still work to stage again after a soft-reboot.
 */

export interface StageOptions {
  version: string;
  /** Node names; default every running lab node. */
  nodes?: string[];
}

export interface StageResult {
  node: string;
  version: string;
  /** The node's view: /run/nextroot's upper directory is under /run/host/softfleet-stage. */
  stageDir: string;
  milliseconds: number;
}

export async function stage(options: StageOptions): Promise<StageResult[]> {
  assertPrerequisites();
  const image = await builtImage();
  const p = progress("lab stage");
  const versionLayer = await ensureVersionLayer(options.version, image.base.dir);
  const state = await readState();
  const names = options.nodes ?? Object.keys(state.nodes);
  if (names.length === 0)
    throw new LabError("node-not-running", "no lab nodes to stage", "start some: npm run lab -- up --nodes 2");
  const outcomes = await Promise.allSettled(
    names.map(async (name) => {
      const started = performance.now();
      const node = await runningNode(name);
      const record = state.nodes[name]!;
      const inNode = (hostDir: string) => join(IN_NODE.layers, basename(hostDir));
      const lower = [inNode(versionLayer), IN_NODE.config, inNode(record.softfleetLayer), inNode(image.base.dir)];
      // A fresh directory per staging: the one the node runs on now may belong to the same version.
      const stageDir = join(IN_NODE.stage, `${options.version}-${Date.now().toString(36)}`);
      const result = await nsenter(node.leaderPid, [
        "sh",
        "-c",
        STAGE_SCRIPT,
        "stage",
        IN_NODE.nextroot,
        lower.join(":"),
        stageDir,
        IN_NODE.agentState,
        IN_NODE.agentStateTarget,
      ]);
      const staged = result.stdout.trim().split("\n").pop();
      if (result.exitCode !== 0 || staged !== options.version) {
        throw new LabError(
          "stage-failed",
          `${name}: staging IMAGE_VERSION=${options.version} failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`,
        );
      }
      const milliseconds = Math.round(performance.now() - started);
      p.say(`${name}: staged IMAGE_VERSION=${options.version} at ${IN_NODE.nextroot} in ${milliseconds} ms`);
      return { node: name, version: options.version, stageDir, milliseconds };
    }),
  );
  const failure = outcomes.find((outcome) => outcome.status === "rejected");
  if (failure) throw failure.reason;
  return outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
}

/**
 * Runs inside the node. $1 nextroot, $2 overlay lowerdir, $3 stage directory,
 * $4 and $5: the agent's state directory and where it belongs in the new root
 * (kept across images, like /var on a real host). Prints the staged
 * IMAGE_VERSION last.
 */
const STAGE_SCRIPT = `set -eu
nextroot="$1"; lower="$2"; stage="$3"; agent_state="$4"; agent_target="$5"
if mountpoint -q "$nextroot"; then umount -R "$nextroot"; fi
mkdir -p "$nextroot" "$stage/upper" "$stage/work"
mount -t overlay softfleet-nextroot -o "lowerdir=$lower,upperdir=$stage/upper,workdir=$stage/work" "$nextroot"
mkdir -p "$nextroot$agent_target"
mount --bind "$agent_state" "$nextroot$agent_target"
( . "$nextroot/etc/os-release"; echo "$IMAGE_VERSION" )
`;
