import { pinnedRootOf } from "./node-json";

const refText: Record<string, string> = {
  exe: "runs a binary from it",
  cwd: "has its working directory there",
  root: "has its root there",
  mapped: "maps its files",
  mounted: "still mounts it in its mount namespace",
};

export const megabytes = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;

/**
 * The processes that still hold the root of an earlier image after a
 * soft-reboot: a warning naming each unit and process, with the memory the
 * old root's mapped files keep (Pss). Nothing when nothing is held.
 */
export function PinnedRootWarning({ value, when }: { value: unknown; when: "now" | "after" }) {
  const pinned = pinnedRootOf(value);
  if (pinned && pinned.processes.length === 0 && pinned.unreadable > 0) {
    return (
      <p className="text-amber-800 dark:text-amber-300">
        {pinned.unreadable} processes could not be read while looking for holders of the old root: the agent needs
        CAP_SYS_PTRACE (its unit file grants it) to read other processes&apos; memory maps.
      </p>
    );
  }
  if (!pinned || pinned.processes.length === 0) return null;
  const count = pinned.processes.length;
  return (
    <div
      role="alert"
      data-testid="pinned-root"
      className="rounded-md border border-amber-300 bg-amber-50 p-3 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100"
    >
      <p className="font-medium">
        {when === "now" ? "The old root is still held" : "The old root was still held after this soft-reboot"}:{" "}
        {megabytes(pinned.pssKb)} pinned by {count === 1 ? "1 process" : `${count} processes`}
      </p>
      <p className="mt-1 text-sm">
        A survivor that references files of the root it started from keeps that whole file system alive, and the memory
        of its mapped files. Run it from its own root (RootImage=, RootDirectory=, a portable service or a container),
        then restart it once to let the old root go.
      </p>
      <ul className="mt-2 space-y-1 text-sm">
        {pinned.processes.map((p) => (
          <li key={p.pid}>
            <span className="font-mono text-xs">{p.unit ?? "no unit"}</span> pid {p.pid} ({p.comm}):{" "}
            {p.refs.map((r) => refText[r] ?? r).join(", ")}
            {p.pssKb > 0 && <>, {megabytes(p.pssKb)}</>}
            {p.files.length > 0 && (
              <span className="block font-mono text-xs text-amber-900 dark:text-amber-200">{p.files.join("  ")}</span>
            )}
          </li>
        ))}
      </ul>
      <p className="mt-1 text-xs text-amber-900 dark:text-amber-200">
        Old root device {pinned.devices.join(", ")}
        {pinned.scanMs !== null && <>; found by scanning /proc in {pinned.scanMs} ms</>}
      </p>
    </div>
  );
}
