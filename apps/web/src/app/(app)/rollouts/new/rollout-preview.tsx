"use client";

import type { RouterOutputs } from "@softfleet/api";
import { SimulatedBadge } from "~/components/node-badges";
import { FormError } from "~/components/ui";
import { errorMessage } from "~/trpc/client";
import { nodesText, stageName } from "../stages";

export type Preview = RouterOutputs["rollouts"]["preview"];

/** The batches the plan gives for the group right now, with the actual hosts, or what stops it. */
export function RolloutPreview({
  preview,
  fetching,
  error,
  hasGroup,
}: {
  preview: Preview | undefined;
  fetching: boolean;
  error: unknown;
  hasGroup: boolean;
}) {
  return (
    <section
      aria-labelledby="preview-heading"
      aria-busy={fetching}
      className="space-y-3 rounded-lg border border-zinc-200 p-4 dark:border-zinc-800"
    >
      <h2 id="preview-heading" className="flex items-baseline justify-between gap-2 text-base font-semibold">
        Preview
        <span className="text-xs font-normal text-zinc-600 dark:text-zinc-400" aria-live="polite">
          {fetching ? "Updating…" : ""}
        </span>
      </h2>
      {!hasGroup && <p className="text-zinc-600 dark:text-zinc-400">Pick a group to see its batches.</p>}
      {hasGroup && error != null && <FormError>{errorMessage(error)}</FormError>}
      {hasGroup && preview && <PreviewBody preview={preview} />}
    </section>
  );
}

function PreviewBody({ preview }: { preview: Preview }) {
  const byId = new Map(preview.nodes.map((n) => [n.nodeId, n]));
  const offline = preview.nodes.filter((n) => !n.facts.online).length;
  return (
    <>
      <p>
        {preview.groupName && <span className="font-medium">{preview.groupName}: </span>}
        {nodesText(preview.nodes.length)}
        {preview.batches.length > 0 &&
          ` in ${preview.batches.length} ${preview.batches.length === 1 ? "batch" : "batches"}`}
        {offline > 0 && (
          <span className="text-zinc-600 dark:text-zinc-400">
            {" "}
            ({offline} offline now:{" "}
            {offline === 1
              ? "it fails its precondition when its turn comes"
              : "they fail their precondition when their turn comes"}
            )
          </span>
        )}
      </p>
      {preview.issues.length > 0 && (
        <div
          role="alert"
          className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800 dark:bg-red-950 dark:text-red-200"
        >
          <p className="font-medium">This plan cannot start:</p>
          <ul className="list-disc pl-5">
            {preview.issues.map((issue) => (
              <li key={`${issue.field}:${issue.message}`}>{issue.message}</li>
            ))}
          </ul>
        </div>
      )}
      {preview.batches.length > 0 && (
        <ol aria-label="Batches" className="space-y-2">
          {preview.batches.map((batch) => (
            <li key={batch.index} className="rounded-md bg-zinc-50 px-3 py-2 dark:bg-zinc-900">
              <p className="text-xs font-medium text-zinc-700 dark:text-zinc-300">
                {stageName(preview.batches, batch.index)} · {nodesText(batch.nodeIds.length)}
              </p>
              <ul className="mt-1 flex flex-wrap gap-x-3 gap-y-1">
                {batch.nodeIds.map((nodeId, i) => {
                  const node = byId.get(nodeId);
                  return (
                    <li key={nodeId} className="inline-flex items-center gap-1">
                      <span className="font-mono text-xs">{batch.hostnames[i] ?? nodeId}</span>
                      {node?.simulated && <SimulatedBadge />}
                      {node && !node.facts.online && (
                        <span className="text-xs text-zinc-600 dark:text-zinc-400">offline</span>
                      )}
                    </li>
                  );
                })}
              </ul>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
