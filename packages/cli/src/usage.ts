/**
 * Each verb's usage line: printed by `softfleet <verb> --help` (exit 0) and
 * after an error in its flags (exit 1).
 */
export const USAGE = {
  login: "softfleet login --url <dashboard address> [--token-stdin]",
  "nodes list":
    "softfleet nodes list [--status online|offline|rebooting|unknown|revoked] [--group NAME] [--label k=v] [--image VERSION] [--search HOSTNAME-PART] [--limit N] [--json]",
  "nodes show": "softfleet nodes show <node id or hostname> [--json]",
  "groups list": "softfleet groups list [--json]",
  "rollout list": "softfleet rollout list [--limit N] [--json]",
  "rollout start":
    "softfleet rollout start --group NAME --image VERSION [--canary N | --no-canary] [--batch-size N | --batch-percent P] [--max-unavailable N] [--settle SEC] [--approve-after-canary] [--image-url URL --image-sha256 HEX] [--when-not-staged skip|fail] [--return-timeout SEC] [--required-unit UNIT]... [--max-downtime-ms MS] [--halt-on-survivor-restart] [--max-pinned-root-mb MB] [--auto-rollback] [--failure-count N | --failure-percent P] [--plan-file plan.json] [--wait [--timeout SEC] [--verbose]] [--json]",
  "rollout watch": "softfleet rollout watch <rollout id> [--timeout SEC] [--verbose] [--json]",
  "rollout pause": "softfleet rollout pause <rollout id> [--json]",
  "rollout resume": "softfleet rollout resume <rollout id> [--json]",
  "rollout abort": "softfleet rollout abort <rollout id> [--json]",
  "rollout approve": "softfleet rollout approve <rollout id> [--json]",
  "report rollout": "softfleet report rollout <rollout id> [--format csv|json] [--output FILE]",
} as const;

export type CommandName = keyof typeof USAGE;

/** Whether the verb's arguments ask for its usage (`--help` or `-h`, before a `--`). */
export function asksForHelp(args: string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === "--help" || arg === "-h");
}
