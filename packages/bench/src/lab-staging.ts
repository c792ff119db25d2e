import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createPrismaClient } from "@softfleet/db";
import { requestStage } from "@softfleet/fleet";
import { buildImageTarball, execIn, IN_NODE, labPki, nodeControlUrl, runningNode, tarballName } from "@softfleet/lab";
import { startLabFleet } from "@softfleet/launcher/lab";
import { startScratchStack, until } from "./scratch-stack";

const run = promisify(execFile);
const VERSION = "11";

/**
 * Staging throughput on a real lab node, side by side with a plain curl of
 * the same image from the same control over the same TLS: each round, the
 * agent's stager downloads the lab's OS image (its stage result says how
 * long the download alone took), then curl fetches it in the node's network
 * namespace with the node's credential. The image is removed between rounds,
 * so every stage downloads it afresh.
 */
export async function benchLabStaging(rounds = 3) {
  const { stack, caFile, stop } = await startScratchStack("softfleet-bench-staging-", { lab: true });
  const db = createPrismaClient(stack.database.url);
  let fleet: Awaited<ReturnType<typeof startLabFleet>> | undefined;
  try {
    fleet = await startLabFleet({
      databaseUrl: stack.database.url,
      controlUrl: stack.control.url,
      caFile,
      nodes: 1,
      firstIndex: 35,
      label: "staging benchmark",
    });
    const name = fleet.nodes[0]!.name;
    const node = await until(
      () => db.node.findFirst({ where: { hostname: name, status: "online" } }),
      "the node to come online",
    );
    console.error(`[bench staging] building the image tarball (version ${VERSION})`);
    const image = await buildImageTarball({ version: VERSION });
    // Control as the node reaches it: on the lab network's gateway, over TLS.
    const url = new URL(`/images/${tarballName(VERSION)}`, nodeControlUrl(stack.control.url));
    const credential = JSON.parse((await execIn(name, ["cat", `${IN_NODE.agentState}/credential.json`])).stdout)
      .credential as string;
    const pki = await labPki();
    const leader = (await runningNode(name)).leaderPid;

    const stagerMBps: number[] = [];
    const curlMBps: number[] = [];
    const stageSeconds: number[] = [];
    for (let round = 1; round <= rounds; round++) {
      // Afresh each time: no image left to reuse, nothing mounted.
      await execIn(name, ["sh", "-c", `umount -R /run/nextroot 2>/dev/null; rm -rf /run/host/softfleet-node-images/*`]);
      const command = await db.$transaction((tx) =>
        requestStage(tx, {
          nodeId: node.id,
          image: { version: VERSION, url: url.pathname, sha256: image.sha256, bandwidthBytesPerSec: null },
          requestedById: null,
          requestedByName: "benchmark",
        }),
      );
      const done = await until(
        async () => {
          const row = await db.nodeCommand.findUnique({ where: { id: command.id } });
          return row?.result ? row : null;
        },
        `staging round ${round}`,
        300_000,
      );
      const result = (done?.result ?? null) as { outcome?: string; downloadSeconds?: number; seconds?: number } | null;
      if (result?.outcome !== "staged" || !result.downloadSeconds) {
        throw new Error(`staging round ${round} did not stage: ${JSON.stringify(result)}`);
      }
      stagerMBps.push(image.bytes / 1e6 / result.downloadSeconds);
      stageSeconds.push(result.seconds ?? 0);

      const curl = await run("nsenter", [
        "-t",
        String(leader),
        "-n",
        "curl",
        "-sS",
        "--fail",
        "--cacert",
        pki.caFile,
        "-H",
        `Authorization: Bearer ${credential}`,
        // Written to disk beside the staged images, as the stager writes its download.
        "-o",
        `/proc/${leader}/root/run/host/softfleet-node-images/curl-download`,
        "-w",
        "%{time_total} %{size_download}",
        url.toString(),
      ]);
      await execIn(name, ["rm", "-f", "/run/host/softfleet-node-images/curl-download"]);
      const [seconds, bytes] = curl.stdout.trim().split(" ").map(Number);
      if (bytes !== image.bytes) throw new Error(`curl fetched ${bytes} bytes, the image has ${image.bytes}`);
      curlMBps.push(bytes / 1e6 / seconds!);
      console.error(
        `[bench staging] round ${round}/${rounds}: stager ${stagerMBps.at(-1)!.toFixed(0)} MB/s, curl ${curlMBps.at(-1)!.toFixed(0)} MB/s`,
      );
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const ratio = median(stagerMBps) / median(curlMBps);
    return {
      name: `lab: staging a ${Math.round(image.bytes / 1e6)} MB OS image on a real node, ${rounds} rounds, beside curl`,
      imageBytes: image.bytes,
      stagerDownloadMBps: { perRound: stagerMBps.map(round1), median: round1(median(stagerMBps)) },
      curlMBps: { perRound: curlMBps.map(round1), median: round1(median(curlMBps)) },
      stagerOverCurl: Math.round(ratio * 100) / 100,
      goal: "stager download within 10 % of curl (ratio >= 0.90)",
      stageSecondsEndToEnd: { perRound: stageSeconds.map(round1), note: "download + verify + unpack + mount + check" },
    };
  } finally {
    await fleet?.stop();
    await db.$disconnect();
    await stop();
  }
}

const round1 = (value: number) => Math.round(value * 10) / 10;
