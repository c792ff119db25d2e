import { apiFor, explain } from "./api";
import type { Io } from "./commands/io";
import { login } from "./commands/login";
import { groupsList, nodesList, nodesShow } from "./commands/nodes";
import { reportRollout } from "./commands/report";
import { rolloutAct, rolloutList, rolloutStart, rolloutWatch } from "./commands/rollout";
import { loadCredentials } from "./config";
import { CliError, EXIT } from "./errors";
import { asksForHelp, type CommandName, USAGE } from "./usage";

export const HELP = `softfleet: see and steer soft-reboot rollouts from a terminal or a pipeline

usage: softfleet <command> [flags]

  login --url URL [--token-stdin]        save the dashboard's address and an API token (Settings > API tokens)
  nodes list [filters] [--json]          --status --group --label k=v --image --search --limit
  nodes show <id|hostname> [--json]
  groups list [--json]
  rollout list [--limit N] [--json]
  rollout start --group G --image V [plan flags] [--wait [--timeout SEC]]
  rollout watch <id> [--timeout SEC] [--verbose] [--json]
  rollout pause|resume|abort|approve <id>
  report rollout <id> [--format csv|json] [--output FILE]

Each command's flags: softfleet <command> --help.
SOFTFLEET_URL and SOFTFLEET_TOKEN, when set, win over what login saved.
--wait and watch exit 0 when the rollout completes, 2 when it halts, 3 when it is aborted,
4 when --timeout passes; 1 is any other error (it says what was wrong).`;

type Command = (args: string[], io: Io) => Promise<number>;

function withApi(command: (api: ReturnType<typeof apiFor>, args: string[], io: Io) => Promise<number>): Command {
  return async (args, io) => {
    const credentials = loadCredentials(io.env);
    try {
      return await command(apiFor(credentials), args, io);
    } catch (error) {
      throw explain(error, credentials.url);
    }
  };
}

const COMMANDS: Record<CommandName, Command> = {
  login,
  "nodes list": withApi(nodesList),
  "nodes show": withApi(nodesShow),
  "groups list": withApi(groupsList),
  "rollout list": withApi(rolloutList),
  "rollout start": withApi(rolloutStart),
  "rollout watch": withApi(rolloutWatch),
  "rollout pause": withApi((api, args, io) => rolloutAct(api, "pause", args, io)),
  "rollout resume": withApi((api, args, io) => rolloutAct(api, "resume", args, io)),
  "rollout abort": withApi((api, args, io) => rolloutAct(api, "abort", args, io)),
  "rollout approve": withApi((api, args, io) => rolloutAct(api, "approve", args, io)),
  "report rollout": (args, io) => reportRollout(loadCredentials(io.env), args, io),
};

/** Runs one command line; returns the exit code. Every failure is one line on stderr, never a stack trace. */
export async function run(argv: string[], io: Io): Promise<number> {
  if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
    io.out(HELP);
    return argv.length === 0 ? EXIT.error : EXIT.ok;
  }
  const one = argv[0] as string;
  const two = `${one} ${argv[1] ?? ""}`;
  const known = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);
  const [name, rest] = known(two) ? [two, argv.slice(2)] : known(one) ? [one, argv.slice(1)] : [null, []];
  if (!name) {
    io.err(`softfleet: unknown command "${argv.slice(0, 2).join(" ")}"\n\n${HELP}`);
    return EXIT.error;
  }
  // Before the credentials are read: usage needs no login.
  if (asksForHelp(rest)) {
    io.out(`usage: ${USAGE[name]}`);
    return EXIT.ok;
  }
  try {
    return await COMMANDS[name](rest, io);
  } catch (error) {
    const failure = error instanceof CliError ? error : explain(error, "the server");
    io.err(`softfleet ${name}: ${failure.message}`);
    return failure.exitCode;
  }
}
