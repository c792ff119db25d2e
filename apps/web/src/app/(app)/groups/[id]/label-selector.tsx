"use client";

import type { RouterOutputs } from "@softfleet/api";
import { useMutation, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { LabelList, labelEntries } from "~/components/labels";
import { Button, FormError, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { useInvalidateGroups } from "../use-groups";

type Group = RouterOutputs["groups"]["get"];
type Pair = { key: string; value: string };

/** The group's label selector, the nodes it matches now, and (for operators) a form to change it. */
export function LabelSelector({ group, canManage }: { group: Group; canManage: boolean }) {
  const [editing, setEditing] = useState(false);
  const selector = labelEntries(group.labelSelector);
  return (
    <div className="space-y-2">
      <p className="max-w-prose text-zinc-600 dark:text-zinc-400">
        Nodes whose labels include every pair below belong to the group too, beside the members listed above. Agents
        report their labels from their config.
      </p>
      {editing ? (
        <SelectorForm group={group} initial={selector} onDone={() => setEditing(false)} />
      ) : (
        <>
          {selector.length === 0 ? (
            <p>No label selector: only the members above.</p>
          ) : (
            <LabelList labels={selector} label="Label selector" />
          )}
          <MatchingNodes group={group} selector={selector} />
          {canManage && (
            <Button kind="secondary" onClick={() => setEditing(true)}>
              Edit label selector
            </Button>
          )}
        </>
      )}
    </div>
  );
}

/** The nodes the stored selector matches now: counted on the server, the first 20 named. */
function MatchingNodes({ group, selector }: { group: Group; selector: [string, string][] }) {
  const trpc = useTRPC();
  const matches = useQuery({
    ...trpc.groups.selectorMatches.queryOptions({ groupId: group.id }),
    enabled: selector.length > 0,
  });
  if (selector.length === 0) return null;
  if (matches.error) return <FormError>{errorMessage(matches.error)}</FormError>;
  if (!matches.data) return null;
  const { count, first } = matches.data;
  return (
    <p>
      Matches {count === 1 ? "1 node" : `${count.toLocaleString("en")} nodes`} now
      {count > 0 && ": "}
      {first.map((node, i) => (
        <span key={node.id}>
          {i > 0 && ", "}
          <Link href={`/nodes/${node.id}`} className="text-sky-700 hover:underline dark:text-sky-400">
            {node.hostname}
          </Link>
        </span>
      ))}
      {count > first.length && ` and ${(count - first.length).toLocaleString("en")} more`}
    </p>
  );
}

function SelectorForm({ group, initial, onDone }: { group: Group; initial: [string, string][]; onDone: () => void }) {
  const trpc = useTRPC();
  const invalidate = useInvalidateGroups();
  const formId = useId();
  const [pairs, setPairs] = useState<Pair[]>(
    initial.length > 0 ? initial.map(([key, value]) => ({ key, value })) : [{ key: "", value: "" }],
  );
  const save = useMutation(
    trpc.groups.setLabelSelector.mutationOptions({
      onSuccess: async () => {
        await invalidate();
        onDone();
      },
    }),
  );
  const update = (index: number, patch: Partial<Pair>) =>
    setPairs((all) => all.map((pair, i) => (i === index ? { ...pair, ...patch } : pair)));
  const filled = pairs.filter((pair) => pair.key.trim() !== "");
  const duplicate = filled.find((pair, i) => filled.findIndex((p) => p.key.trim() === pair.key.trim()) !== i);
  return (
    <form
      aria-label="Label selector"
      className="max-w-xl space-y-2"
      onSubmit={(event) => {
        event.preventDefault();
        if (duplicate) return;
        save.mutate({
          groupId: group.id,
          labelSelector: Object.fromEntries(filled.map((pair) => [pair.key.trim(), pair.value])),
        });
      }}
      onKeyDown={(event) => {
        if (event.key === "Escape") onDone();
      }}
    >
      <ul className="space-y-2">
        {pairs.map((pair, index) => (
          // Rows have no identity beyond their place; keys are edited in place.
          // biome-ignore lint/suspicious/noArrayIndexKey: see above
          <li key={index} className="flex flex-wrap items-end gap-2">
            <div className="space-y-1">
              <label htmlFor={`${formId}-key-${index}`} className="block text-xs font-medium">
                Label {index + 1} key
              </label>
              <TextInput
                id={`${formId}-key-${index}`}
                className="w-48 font-mono"
                autoFocus={index === 0}
                value={pair.key}
                onChange={(e) => update(index, { key: e.target.value })}
              />
            </div>
            <span aria-hidden="true" className="pb-1.5 font-mono">
              =
            </span>
            <div className="space-y-1">
              <label htmlFor={`${formId}-value-${index}`} className="block text-xs font-medium">
                Label {index + 1} value
              </label>
              <TextInput
                id={`${formId}-value-${index}`}
                className="w-48 font-mono"
                value={pair.value}
                onChange={(e) => update(index, { value: e.target.value })}
              />
            </div>
            <Button kind="secondary" onClick={() => setPairs((all) => all.filter((_, i) => i !== index))}>
              Remove<span className="sr-only"> label {index + 1}</span>
            </Button>
          </li>
        ))}
      </ul>
      <Button kind="secondary" onClick={() => setPairs((all) => [...all, { key: "", value: "" }])}>
        Add label
      </Button>
      <p className="text-xs text-zinc-600 dark:text-zinc-400">
        Rows with an empty key are left out; no rows at all turns selection by labels off.
      </p>
      {duplicate && (
        <FormError>The key “{duplicate.key.trim()}” is there twice: a selector has each key once.</FormError>
      )}
      {save.error && <FormError>{errorMessage(save.error)}</FormError>}
      <div className="flex gap-2">
        <Button type="submit" disabled={save.isPending || duplicate !== undefined}>
          {save.isPending ? "Saving…" : "Save selector"}
        </Button>
        <Button kind="secondary" onClick={onDone}>
          Cancel
        </Button>
      </div>
    </form>
  );
}
