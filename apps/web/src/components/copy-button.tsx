"use client";

import { useEffect, useState } from "react";
import { Button } from "~/components/ui";

/** Copies `text` to the clipboard and says so (or why not) in a status message. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [result, setResult] = useState<"copied" | "failed" | null>(null);
  useEffect(() => {
    if (!result) return;
    const timer = setTimeout(() => setResult(null), 4000);
    return () => clearTimeout(timer);
  }, [result]);
  return (
    <span className="inline-flex items-center gap-2">
      <Button
        kind="secondary"
        onClick={() =>
          navigator.clipboard
            .writeText(text)
            .then(() => setResult("copied"))
            .catch(() => setResult("failed"))
        }
      >
        {label}
      </Button>
      <span role="status" className="text-xs text-zinc-700 dark:text-zinc-300">
        {result === "copied" && "Copied."}
        {result === "failed" && "Could not copy here: select the text and copy it yourself."}
      </span>
    </span>
  );
}
