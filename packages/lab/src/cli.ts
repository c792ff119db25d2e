// npm run lab -- <command>: real systemd nodes (Debian trixie in systemd-nspawn) running the agent.
import { parseArgs } from "node:util";
import { LabError } from "./errors";
import { buildImage } from "./image";
import { buildImageTarball } from "./image-tarball";
import { listNodes, runningNode } from "./inside";
import { DEFAULT_CONTROL_URL } from "./layout";
import { LAB_NETWORK, removeLabNetwork } from "./network";
import { down, up } from "./nodes";
import { nsenterInteractive } from "./nspawn";
import { labPrerequisites } from "./prereq";
import { stage } from "./stage";
import { formatStatus, status } from "./status";

const USAGE = `usage: npm run lab -- <command>

  build [--force]                        build the node image once (cached in /var/cache/softfleet-lab,
                                         SOFTFLEET_LAB_CACHE); re-installs the agent when its bundle changed
  up --nodes N [--control-url URL] [--token TOKEN]
                                         boot nodes sf-lab-1..N on the lab network ${LAB_NETWORK.cidr}
                                         (bridge ${LAB_NETWORK.bridge}; control URL default ${DEFAULT_CONTROL_URL})
  stage --version V [--nodes a,b]        stage an image with IMAGE_VERSION=V at /run/nextroot in the nodes
  image --version V                      write the node OS with IMAGE_VERSION=V as a tar file for agents to
                                         download (<cache>/images/softfleet-lab-V.tar and .sha256)
  status [--json]                        each node: state, boot_id, soft-reboots, image, staged image, demo services
  exec NAME -- COMMAND...                run a command inside a node, e.g. exec sf-lab-1 -- systemctl soft-reboot
  down                                   halt the lab's nodes and remove them (and the lab network)
  check                                  say whether this machine can run the lab`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "build": {
      const { values } = parseArgs({ args: rest, options: { force: { type: "boolean" } } });
      await buildImage({ force: values.force });
      return 0;
    }
    case "up": {
      const { values } = parseArgs({
        args: rest,
        options: { nodes: { type: "string" }, "control-url": { type: "string" }, token: { type: "string" } },
      });
      if (!values.nodes || !/^\d+$/.test(values.nodes)) throw new LabError("bad-input", "up needs --nodes N", USAGE);
      await up({ nodes: Number(values.nodes), controlUrl: values["control-url"], token: values.token });
      return 0;
    }
    case "stage": {
      const { values } = parseArgs({ args: rest, options: { version: { type: "string" }, nodes: { type: "string" } } });
      if (!values.version) throw new LabError("bad-input", "stage needs --version V", USAGE);
      await stage({ version: values.version, nodes: values.nodes?.split(",").filter(Boolean) });
      return 0;
    }
    case "image": {
      const { values } = parseArgs({ args: rest, options: { version: { type: "string" } } });
      if (!values.version) throw new LabError("bad-input", "image needs --version V", USAGE);
      const tarball = await buildImageTarball({ version: values.version });
      console.log(tarball.file);
      return 0;
    }
    case "status": {
      const { values } = parseArgs({ args: rest, options: { json: { type: "boolean" } } });
      const nodes = await status();
      console.log(values.json ? JSON.stringify(nodes, null, 2) : formatStatus(nodes));
      return 0;
    }
    case "exec": {
      const [name, separator, ...command] = rest;
      if (!name || separator !== "--" || command.length === 0) {
        throw new LabError("bad-input", "exec needs a node and a command: exec NAME -- COMMAND...", USAGE);
      }
      return nsenterInteractive((await runningNode(name)).leaderPid, command);
    }
    case "down": {
      await down();
      // The network goes with the last node (a test's nodes may still be on it otherwise).
      if ((await listNodes()).length === 0 && (await removeLabNetwork())) {
        console.error(`[lab down] removed the lab network (bridge ${LAB_NETWORK.bridge})`);
      }
      return 0;
    }
    case "check": {
      const check = labPrerequisites();
      console.log(check.ok ? "this machine can run the lab" : check.message);
      return check.ok ? 0 : 1;
    }
    case undefined:
    case "help":
    case "--help":
      console.log(USAGE);
      return command ? 0 : 2;
    default:
      throw new LabError("bad-input", `unknown command ${command}`, USAGE);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof LabError) {
      console.error(`lab: ${error.message}`);
      if (error.hint) console.error(error.hint.startsWith("usage:") ? error.hint : `  what to do: ${error.hint}`);
    } else if (String((error as NodeJS.ErrnoException).code).startsWith("ERR_PARSE_ARGS")) {
      console.error(`lab: ${(error as Error).message}\n${USAGE}`);
    } else {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    }
    process.exit(1);
  },
);
