import { rm } from "node:fs/promises";
import { freePort, makeScratchDir } from "@softfleet/db/embedded";
import { repoRoot } from "@softfleet/db/paths";
import { type StackOptions, startStack } from "@softfleet/launcher";
import { labControl } from "@softfleet/launcher/lab";
import { stopOnInterrupt } from "./interrupt";

/**
 * The whole product for a benchmark: an embedded database in a scratch folder
 * and the apps on free loopback ports. `stop` stops it and removes the folder.
 */
export async function startScratchStack(
  prefix: string,
  options: Pick<StackOptions, "env" | "log"> & { lab?: boolean } = {},
) {
  const { lab, ...rest } = options;
  const dataDir = await makeScratchDir(prefix);
  // For lab nodes: control on the lab network too, over TLS.
  const forLab = lab ? await labControl() : undefined;
  // startStack stops what it started when it fails; the scratch folder goes too.
  const stack = await startStack({
    root: repoRoot(),
    dataDir,
    pgPort: await freePort(),
    host: "127.0.0.1",
    webPort: await freePort(),
    controlPort: await freePort(),
    ephemeral: true,
    ...forLab,
    ...rest,
  }).catch(async (error: Error) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  const stop = async () => {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  const forget = stopOnInterrupt(stop);
  return {
    stack,
    /** With `lab`: the CA the lab's agents trust. */
    caFile: forLab?.controlTls.caFile,
    async stop() {
      forget();
      await stop();
    },
  };
}

/** Polls `probe` until it gives a value, or says what it waited for. */
export async function until<T>(
  probe: () => Promise<T | null | undefined | false>,
  what: string,
  timeoutMs = 60_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => null);
    if (value) return value;
    // Not faster: the benchmark's own polling must not load the machine it measures.
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
}
