"use client";

import { keepPreviousData, skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { ConfirmDialog } from "~/components/confirm-dialog";
import { Button, FormError, PageHeader, Select } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { nodesText, stageName } from "../stages";
import { PlanField, PlanMessages, usePlanInput } from "./plan-field";
import { GateFields, StagesFields, TargetFields, ThresholdFields } from "./plan-fields";
import { defaultPlanForm, mergeMessages, messagesByField, type PlanForm, planOf } from "./plan-form";
import { type Preview, RolloutPreview } from "./rollout-preview";
import { WindowFields } from "./window-fields";

/** `value`, once it has stopped changing for `ms`. */
function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export function NewRolloutForm({ initialGroupId }: { initialGroupId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const groups = useQuery(trpc.groups.list.queryOptions());
  const [groupId, setGroupId] = useState(initialGroupId);
  const [form, setForm] = useState<PlanForm>(defaultPlanForm);
  const [confirming, setConfirming] = useState(false);
  const create = useMutation(trpc.rollouts.create.mutationOptions());

  // The browser's zone, after mount (the server renders without one).
  useEffect(() => {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    setForm((f) => (f.windowTimeZone ? f : { ...f, windowTimeZone: zone }));
  }, []);

  const set = (patch: Partial<PlanForm>) => {
    create.reset();
    setForm((f) => ({ ...f, ...patch }));
  };
  const plan = useMemo(() => planOf(form), [form]);
  const request = useDebounced(
    useMemo(() => ({ groupId, plan }), [groupId, plan]),
    300,
  );
  const preview = useQuery({
    ...trpc.rollouts.preview.queryOptions(request.groupId ? request : skipToken),
    placeholderData: keepPreviousData,
  });
  const current = request.groupId === groupId && request.plan === plan;

  const messages = mergeMessages(messagesByField(preview.data?.issues ?? []), create.error?.data?.fieldErrors ?? {});
  const ready = current && !preview.isFetching && preview.data && preview.data.issues.length === 0;

  return (
    <>
      <Link href="/rollouts" className="mb-2 inline-block text-sky-700 hover:underline dark:text-sky-400">
        ← All rollouts
      </Link>
      <PageHeader
        title="New rollout"
        description="Soft-reboot a group's nodes in stages, each checked by a health gate before the next ones go."
      />
      <PlanMessages.Provider value={messages}>
        <form
          noValidate
          aria-label="New rollout"
          className="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,26rem)]"
          onSubmit={(event) => {
            event.preventDefault();
            if (ready) setConfirming(true);
          }}
        >
          <div className="space-y-4">
            <GroupPicker
              groups={groups.data ?? []}
              loading={groups.isPending}
              error={groups.error}
              groupId={groupId}
              onChange={(id) => {
                create.reset();
                setGroupId(id);
              }}
            />
            <StagesFields form={form} set={set} />
            <WindowFields form={form} set={set} />
            <TargetFields form={form} set={set} />
            <GateFields form={form} set={set} />
            <ThresholdFields form={form} set={set} />
          </div>
          <div className="space-y-3 lg:sticky lg:top-4">
            <RolloutPreview
              preview={preview.data}
              fetching={preview.isFetching || !current}
              error={preview.error}
              hasGroup={groupId !== ""}
            />
            {create.error && !confirming && <FormError>{errorMessage(create.error)}</FormError>}
            <Button type="submit" disabled={!ready}>
              Start rollout…
            </Button>
            {!ready && groupId !== "" && preview.data && preview.data.issues.length > 0 && (
              <p className="text-xs text-zinc-600 dark:text-zinc-400">Fix what the preview names to start.</p>
            )}
          </div>
        </form>
      </PlanMessages.Provider>
      {confirming && preview.data && (
        <ConfirmDialog
          title={confirmTitle(preview.data)}
          confirmLabel="Start rollout"
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            const created = await create.mutateAsync({ groupId, plan });
            await queryClient.invalidateQueries({ queryKey: trpc.rollouts.list.queryKey() });
            router.push(`/rollouts/${created.id}`);
          }}
        >
          <ConfirmBody preview={preview.data} />
        </ConfirmDialog>
      )}
    </>
  );
}

function confirmTitle(preview: Preview): string {
  const batches = preview.batches.length;
  return `Reboot ${nodesText(preview.nodes.length)} in ${batches} ${batches === 1 ? "batch" : "batches"}?`;
}

function ConfirmBody({ preview }: { preview: Preview }) {
  return (
    <>
      <p>
        The nodes of {preview.groupName} soft-reboot in this order; the rollout halts when more fail than the threshold
        allows. You can pause or abort it from its page.
      </p>
      <ul className="mt-2 max-h-48 space-y-0.5 overflow-y-auto text-xs">
        {preview.batches.map((batch) => (
          <li key={batch.index}>
            <span className="font-medium">{stageName(preview.batches, batch.index)}:</span>{" "}
            <span className="font-mono">{batch.hostnames.join(", ")}</span>
          </li>
        ))}
      </ul>
    </>
  );
}

function GroupPicker({
  groups,
  loading,
  error,
  groupId,
  onChange,
}: {
  groups: { id: string; name: string; _count: { members: number } }[];
  loading: boolean;
  error: unknown;
  groupId: string;
  onChange: (id: string) => void;
}) {
  const input = usePlanInput("plan-group", ["group", "plan"]);
  if (error) return <FormError>{errorMessage(error)}</FormError>;
  return (
    <PlanField
      id="plan-group"
      label="Group"
      fields={["group", "plan"]}
      hint="Its members and the nodes its label selector matches, sorted by hostname."
    >
      <Select {...input} value={groupId} onChange={(e) => onChange(e.target.value)} className="w-full max-w-sm">
        <option value="">{loading ? "Loading groups…" : "Choose a group"}</option>
        {groups.map((group) => (
          <option key={group.id} value={group.id}>
            {group.name} ({group._count.members} {group._count.members === 1 ? "member" : "members"})
          </option>
        ))}
      </Select>
    </PlanField>
  );
}
