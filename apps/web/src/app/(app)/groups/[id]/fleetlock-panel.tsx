"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmButton } from "~/components/confirm-dialog";
import { LocalTime } from "~/components/time";
import { Button, Field, FormError, TextInput } from "~/components/ui";
import { errorMessage, useTRPC } from "~/trpc/client";
import { FleetLockHolds } from "./fleetlock-holds";
import { FleetLockSecret } from "./fleetlock-secret";

const muted = "text-zinc-600 dark:text-zinc-400";

/**
 * FleetLock on this group: Zincati (Fedora CoreOS) nodes ask control for a
 * reboot slot before they reboot and give it back once healthy; at most
 * "max unavailable" hold one at a time, counting this group's nodes a
 * softfleet rollout is rebooting.
 */
export function FleetLockPanel({ groupId, canManage }: { groupId: string; canManage: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const view = useQuery({ ...trpc.fleetLock.group.queryOptions({ groupId }), refetchInterval: 5_000 });
  const [shown, setShown] = useState<{ basePath: string; lockGroup: string } | null>(null);
  const [editing, setEditing] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.fleetLock.group.queryKey({ groupId }) });
  const rotate = useMutation(trpc.fleetLock.rotate.mutationOptions());
  const disable = useMutation(trpc.fleetLock.disable.mutationOptions());
  const release = useMutation(trpc.fleetLock.release.mutationOptions());

  if (view.isPending) return <p role="status">Loading FleetLock…</p>;
  if (view.error) return <FormError>{errorMessage(view.error)}</FormError>;
  const data = view.data;
  return (
    <div className="space-y-4">
      {shown && <FleetLockSecret {...shown} onDismiss={() => setShown(null)} />}
      {!data.enabled ? (
        <>
          <p className={muted}>
            FleetLock is off for this group. Turned on, Zincati on Fedora CoreOS nodes (updates strategy
            &quot;fleet_lock&quot;) take a reboot slot from control before rebooting.
          </p>
          {canManage && (
            <FleetLockForm
              groupId={groupId}
              initial={{ lockGroup: data.lockGroup ?? "default", maxUnavailable: data.maxUnavailable }}
              submitLabel="Enable FleetLock"
              onDone={async (basePath, lockGroup) => {
                if (basePath) setShown({ basePath, lockGroup });
                await refresh();
              }}
            />
          )}
        </>
      ) : (
        <>
          <dl className="grid max-w-xl grid-cols-[max-content_1fr] gap-x-4 gap-y-1">
            <dt className={muted}>FleetLock</dt>
            <dd className="font-medium text-emerald-700 dark:text-emerald-400">on</dd>
            <dt className={muted}>Lock group</dt>
            <dd className="font-mono">{data.lockGroup}</dd>
            <dt className={muted}>Max unavailable</dt>
            <dd className="tabular-nums">{data.maxUnavailable}</dd>
            <dt className={muted}>Slots held</dt>
            <dd className="tabular-nums">
              {data.holders.length} of {data.maxUnavailable}
            </dd>
            {data.enabledAt && (
              <>
                <dt className={muted}>Enabled</dt>
                <dd>
                  <LocalTime date={data.enabledAt} />
                </dd>
              </>
            )}
          </dl>
          {canManage && !editing && (
            <div className="flex flex-wrap gap-2">
              <Button kind="secondary" onClick={() => setEditing(true)}>
                Change settings
              </Button>
              <ConfirmButton
                label="Rotate secret"
                title="Rotate the FleetLock secret?"
                onConfirm={async () => {
                  const { basePath } = await rotate.mutateAsync({ groupId });
                  setShown({ basePath, lockGroup: data.lockGroup ?? "default" });
                  await refresh();
                }}
              >
                The current base URL stops working at once: every node's Zincati needs the new one.
              </ConfirmButton>
              <ConfirmButton
                label="Turn off FleetLock"
                title="Turn off FleetLock?"
                onConfirm={async () => {
                  await disable.mutateAsync({ groupId });
                  await refresh();
                }}
              >
                The base URL stops working and the {data.holders.length} slot(s) held now are released; Zincati then
                cannot reboot these nodes until FleetLock is on again or its strategy changes.
              </ConfirmButton>
            </div>
          )}
          {canManage && editing && data.lockGroup && (
            <FleetLockForm
              groupId={groupId}
              initial={{ lockGroup: data.lockGroup, maxUnavailable: data.maxUnavailable }}
              submitLabel="Save"
              onCancel={() => setEditing(false)}
              onDone={async () => {
                setEditing(false);
                await refresh();
              }}
            />
          )}
          <h3 className="text-sm font-semibold">FleetLock holders</h3>
          {data.holders.length === 0 ? (
            <p className={muted}>No node holds a FleetLock slot now.</p>
          ) : (
            <FleetLockHolds
              holds={data.holders}
              released={false}
              label="FleetLock holders"
              onRelease={
                canManage
                  ? async (hold) => {
                      await release.mutateAsync({ holdId: hold.id });
                      await refresh();
                    }
                  : undefined
              }
            />
          )}
        </>
      )}
      {data.history.length > 0 && (
        <>
          <h3 className="text-sm font-semibold">Recent FleetLock slots</h3>
          <FleetLockHolds holds={data.history} released label="Recent FleetLock slots" />
        </>
      )}
    </div>
  );
}

function FleetLockForm({
  groupId,
  initial,
  submitLabel,
  onDone,
  onCancel,
}: {
  groupId: string;
  initial: { lockGroup: string; maxUnavailable: number };
  submitLabel: string;
  onDone: (basePath: string | null, lockGroup: string) => Promise<void>;
  onCancel?: () => void;
}) {
  const trpc = useTRPC();
  const [lockGroup, setLockGroup] = useState(initial.lockGroup);
  const [maxUnavailable, setMaxUnavailable] = useState(String(initial.maxUnavailable));
  const enable = useMutation(trpc.fleetLock.enable.mutationOptions());
  const update = useMutation(trpc.fleetLock.update.mutationOptions());
  const mutation = onCancel ? update : enable;
  return (
    <form
      className="max-w-md space-y-3"
      onSubmit={async (event) => {
        event.preventDefault();
        const input = { groupId, lockGroup: lockGroup.trim(), maxUnavailable: Number(maxUnavailable) };
        const result = onCancel
          ? await update.mutateAsync(input).catch(() => null)
          : await enable.mutateAsync(input).catch(() => null);
        if (result) await onDone("basePath" in result ? result.basePath : null, input.lockGroup);
      }}
    >
      <Field
        label="Lock group"
        htmlFor="fleetlock-group"
        hint='What Zincati sends as its group ([identity] group; "default" unless set)'
      >
        <TextInput
          id="fleetlock-group"
          required
          maxLength={64}
          value={lockGroup}
          onChange={(e) => setLockGroup(e.target.value)}
        />
      </Field>
      <Field label="Max unavailable" htmlFor="fleetlock-max" hint="How many of the group's nodes may reboot at once">
        <TextInput
          id="fleetlock-max"
          type="number"
          required
          min={1}
          max={1000}
          value={maxUnavailable}
          onChange={(e) => setMaxUnavailable(e.target.value)}
        />
      </Field>
      {mutation.error && <FormError>{errorMessage(mutation.error)}</FormError>}
      <div className="flex gap-2">
        <Button type="submit" disabled={mutation.isPending}>
          {mutation.isPending ? "Saving…" : submitLabel}
        </Button>
        {onCancel && (
          <Button kind="secondary" onClick={onCancel}>
            Cancel
          </Button>
        )}
      </div>
    </form>
  );
}
