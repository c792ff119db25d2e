const linkClass = "text-sky-700 underline dark:text-sky-400";
const man = (page: string) => `https://www.freedesktop.org/software/systemd/man/latest/${page}.html`;

/** How to make a payload run straight through a soft-reboot: the unit settings, with the man pages. */
export function SurvivalHelp() {
  return (
    <details className="mt-3 rounded-md border border-zinc-200 p-3 text-sm dark:border-zinc-800">
      <summary className="cursor-pointer font-medium">How to make a payload survive soft-reboots</summary>
      <div className="mt-2 space-y-2">
        <p>
          A soft-reboot stops every unit and starts userspace again, except the units configured to survive it. Put
          these lines in the unit&apos;s <code className="font-mono">[Unit]</code> section (for Podman, in the quadlet{" "}
          <code className="font-mono">.container</code> file&apos;s <code className="font-mono">[Unit]</code>):
        </p>
        <pre className="overflow-x-auto rounded bg-zinc-100 p-2 font-mono text-xs dark:bg-zinc-900">
          {`SurviveFinalKillSignal=yes
IgnoreOnIsolate=yes
DefaultDependencies=no
After=basic.target
Conflicts=reboot.target kexec.target poweroff.target halt.target rescue.target emergency.target
Before=reboot.target kexec.target poweroff.target halt.target rescue.target emergency.target`}
        </pre>
        <p>
          Run it from its own root (<code className="font-mono">RootImage=</code>,{" "}
          <code className="font-mono">RootDirectory=</code>, a portable service attached with{" "}
          <code className="font-mono">portablectl attach</code>, or a container): a survivor that uses files of the host
          root keeps the old root in memory after the host moves to a new image, and this page warns about it. Its IPC
          to the rest of the OS (D-Bus, journald) is cut while userspace restarts: it must reconnect.
        </p>
        <p>
          An ordinary service can still keep its sockets through the restart: with{" "}
          <code className="font-mono">FileDescriptorStoreMax=</code> and{" "}
          <code className="font-mono">FileDescriptorStorePreserve=yes</code> it hands them to systemd (
          <code className="font-mono">sd_notify FDSTORE=1</code>) and gets them back on its next start, so its clients
          keep their connections.
        </p>
        <p>
          The network stays up through a soft-reboot: the kernel keeps the links. Set{" "}
          <code className="font-mono">KeepConfiguration=static</code> (or <code className="font-mono">yes</code> for
          DHCP leases too) in the link&apos;s <code className="font-mono">.network</code> file so that systemd-networkd,
          restarting with the rest of userspace, adopts its addresses instead of dropping and adding them again.
        </p>
        <p>
          See{" "}
          <a className={linkClass} href={man("systemd-soft-reboot.service")}>
            systemd-soft-reboot.service(8)
          </a>
          ,{" "}
          <a className={linkClass} href={man("systemd.unit")}>
            systemd.unit(5)
          </a>{" "}
          (SurviveFinalKillSignal=),{" "}
          <a className={linkClass} href={man("systemd.service")}>
            systemd.service(5)
          </a>{" "}
          (FileDescriptorStoreMax=),{" "}
          <a className={linkClass} href={man("systemd.network")}>
            systemd.network(5)
          </a>{" "}
          (KeepConfiguration=),{" "}
          <a className={linkClass} href={man("portablectl")}>
            portablectl(1)
          </a>{" "}
          and{" "}
          <a className={linkClass} href="https://docs.podman.io/en/latest/markdown/podman-systemd.unit.5.html">
            podman-systemd.unit(5)
          </a>
          .
        </p>
      </div>
    </details>
  );
}
