/** What an agent must trust to reach control: the certificate's fingerprint, or a warning that control is plain HTTP. */
export function ControlTlsNote({ fingerprint }: { fingerprint: string | null }) {
  if (fingerprint) {
    return (
      <p className="text-xs">
        Control serves TLS. Its certificate&apos;s SHA-256 fingerprint is{" "}
        <code className="font-mono break-all" data-testid="control-fingerprint">
          {fingerprint}
        </code>
        : the agent accepts that certificate and no other (<code className="font-mono">pinnedFingerprint</code>), or
        give it your CA instead (<code className="font-mono">caFile</code>).
      </p>
    );
  }
  return (
    <p className="text-xs">
      Control serves plain HTTP. Agents talk plain HTTP to loopback only: give control a certificate (CONTROL_TLS_CERT
      and CONTROL_TLS_KEY) or put a TLS proxy in front of it before enrolling other hosts.
    </p>
  );
}
