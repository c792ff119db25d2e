const muted = "text-zinc-600 dark:text-zinc-400";

export interface StageView {
  phase: string | null;
  bytesDone: number | null;
  bytesTotal: number | null;
  bytesPerSec: number | null;
  outcome: "staged" | "failed" | null;
  seconds: number | null;
}

const MB = 1_000_000;

function megabytes(bytes: number): string {
  return bytes >= 100 * MB ? `${Math.round(bytes / MB)} MB` : `${(bytes / MB).toFixed(1)} MB`;
}

const phaseText: Record<string, string> = {
  download: "downloading",
  verify: "checking its SHA-256",
  unpack: "unpacking",
  mount: "mounting at /run/nextroot",
  check: "checking its os-release",
};

/** What the bar says, in words: the phase, bytes of total, and the rate while downloading. */
export function stagingText(stage: StageView): string {
  if (stage.outcome === "staged") {
    const size = stage.bytesTotal === null ? "" : `${megabytes(stage.bytesTotal)} `;
    return `staged ${size}${stage.seconds === null ? "" : `in ${stage.seconds.toFixed(1)} s`}`.trim();
  }
  if (stage.phase === null) return "waiting for the agent to start staging";
  const phase = phaseText[stage.phase] ?? stage.phase;
  // After the download only the image's size means anything.
  if (stage.phase !== "download")
    return stage.bytesTotal === null ? phase : `${phase} (${megabytes(stage.bytesTotal)})`;
  if (stage.bytesDone === null) return phase;
  const of = stage.bytesTotal === null ? "" : ` of ${megabytes(stage.bytesTotal)}`;
  const rate = stage.phase === "download" && stage.bytesPerSec ? `, ${megabytes(stage.bytesPerSec)}/s` : "";
  return `${phase}: ${megabytes(stage.bytesDone)}${of}${rate}`;
}

/** A staging node's progress: a bar with bytes and rate, live. */
export function StagingProgress({ stage, hostname }: { stage: StageView; hostname: string }) {
  const total = stage.bytesTotal ?? 0;
  const downloaded = stage.outcome === "staged" || (stage.phase !== null && stage.phase !== "download");
  const done = downloaded ? total : Math.min(stage.bytesDone ?? 0, total);
  const text = stagingText(stage);
  return (
    <span className="mt-1 block">
      {total > 0 ? (
        <progress
          className="block h-2 w-48 [&::-moz-progress-bar]:bg-sky-600 [&::-webkit-progress-bar]:rounded-full [&::-webkit-progress-bar]:bg-zinc-200 [&::-webkit-progress-value]:rounded-full [&::-webkit-progress-value]:bg-sky-600 dark:[&::-webkit-progress-bar]:bg-zinc-800"
          max={total}
          value={done}
          aria-label={`Staging on ${hostname}`}
          aria-valuetext={text}
        />
      ) : null}
      <span className={`block text-xs tabular-nums ${muted}`}>{text}</span>
    </span>
  );
}
