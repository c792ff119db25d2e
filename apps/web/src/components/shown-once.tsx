"use client";

import { type ReactNode, useEffect, useId, useRef } from "react";
import { CopyButton } from "./copy-button";
import { Button } from "./ui";

/**
 * A secret shown this once (a token, a signing secret, a URL with a secret
 * in it): a focused heading, why it is shown once, the value to copy, what to
 * do with it, and the button that puts it away for good.
 */
export function ShownOnce({
  title,
  intro,
  label,
  value,
  copyLabel,
  onDismiss,
  children,
}: {
  title: ReactNode;
  intro: ReactNode;
  /** The value's label (tests and screen readers find it by this). */
  label: string;
  value: string;
  copyLabel: string;
  onDismiss: () => void;
  /** What to do with it: a configuration to copy, a command. */
  children?: ReactNode;
}) {
  const headingId = useId();
  const inputId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <section
      aria-labelledby={headingId}
      className="mb-6 max-w-3xl space-y-3 rounded-lg border-2 border-amber-500 bg-amber-50 p-4 text-zinc-900 dark:border-amber-400 dark:bg-amber-950 dark:text-zinc-100"
    >
      <h3 id={headingId} ref={headingRef} tabIndex={-1} className="font-semibold">
        {title}
      </h3>
      <p>{intro}</p>
      <div className="space-y-1">
        <label htmlFor={inputId} className="block text-xs font-medium">
          {label}
        </label>
        <div className="flex flex-wrap items-center gap-2">
          <input
            id={inputId}
            readOnly
            value={value}
            onFocus={(event) => event.target.select()}
            className="min-w-0 flex-1 rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 font-mono text-sm text-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
          />
          <CopyButton text={value} label={copyLabel} />
        </div>
      </div>
      {children}
      <Button kind="secondary" onClick={onDismiss}>
        Done, I have copied it
      </Button>
    </section>
  );
}
