"use client";

import { TextInput } from "~/components/ui";
import { Checkbox, Choice, FieldIssues, PlanField, Section, usePlanInput } from "./plan-field";
import type { PlanForm } from "./plan-form";

export type PlanFieldsProps = { form: PlanForm; set: (patch: Partial<PlanForm>) => void };

function NumberInput({
  id,
  fields,
  value,
  onChange,
  className = "max-w-32",
}: {
  id: string;
  fields: string[];
  value: string;
  onChange: (value: string) => void;
  className?: string;
}) {
  const input = usePlanInput(id, fields);
  return (
    <TextInput
      {...input}
      type="number"
      inputMode="numeric"
      className={className}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

export function StagesFields({ form, set }: PlanFieldsProps) {
  const batchFields = ["batch", "batch.size", "batch.percent"];
  return (
    <Section title="Stages">
      <Checkbox
        id="plan-canary-on"
        label="Start with a canary: a first batch of its own"
        checked={form.canaryOn}
        onChange={(canaryOn) => set({ canaryOn })}
        fields={["canary"]}
      />
      {form.canaryOn && (
        <PlanField id="plan-canary-count" label="Canary size (nodes)" fields={["canary.count"]}>
          <NumberInput
            id="plan-canary-count"
            fields={["canary.count"]}
            value={form.canaryCount}
            onChange={(canaryCount) => set({ canaryCount })}
          />
        </PlanField>
      )}
      <Choice
        name="plan-batch-by"
        legend="Batches by"
        value={form.batchBy}
        options={[
          ["percent", "Percentage of the group"],
          ["size", "Number of nodes"],
        ]}
        onChange={(batchBy) => set({ batchBy })}
      />
      {form.batchBy === "size" ? (
        <PlanField id="plan-batch-size" label="Batch size (nodes)" fields={batchFields}>
          <NumberInput
            id="plan-batch-size"
            fields={batchFields}
            value={form.batchSize}
            onChange={(batchSize) => set({ batchSize })}
          />
        </PlanField>
      ) : (
        <PlanField
          id="plan-batch-percent"
          label="Batch size (% of the group)"
          fields={batchFields}
          hint="Rounded up to whole nodes."
        >
          <NumberInput
            id="plan-batch-percent"
            fields={batchFields}
            value={form.batchPercent}
            onChange={(batchPercent) => set({ batchPercent })}
          />
        </PlanField>
      )}
      <PlanField
        id="plan-max-unavailable"
        label="Max unavailable (nodes)"
        fields={["maxUnavailable"]}
        hint="Nodes rebooting at the same time, across the whole rollout."
      >
        <NumberInput
          id="plan-max-unavailable"
          fields={["maxUnavailable"]}
          value={form.maxUnavailable}
          onChange={(maxUnavailable) => set({ maxUnavailable })}
        />
      </PlanField>
      <PlanField
        id="plan-settle"
        label="Settle delay (s)"
        fields={["settleSec"]}
        hint="The wait after a batch before the next one starts."
      >
        <NumberInput
          id="plan-settle"
          fields={["settleSec"]}
          value={form.settleSec}
          onChange={(settleSec) => set({ settleSec })}
        />
      </PlanField>
      <Checkbox
        id="plan-approve"
        label="Wait for approval after the canary"
        checked={form.approveAfterCanary}
        onChange={(approveAfterCanary) => set({ approveAfterCanary })}
        fields={["approveAfterCanary"]}
      />
    </Section>
  );
}

export function TargetFields({ form, set }: PlanFieldsProps) {
  const input = usePlanInput("plan-target", ["targetImageVersion"]);
  const imageUrl = usePlanInput("plan-image-url", ["image.url"]);
  const imageSha = usePlanInput("plan-image-sha256", ["image.sha256"]);
  return (
    <Section title="Target image">
      <PlanField
        id="plan-target"
        label="Target image version"
        fields={["targetImageVersion"]}
        hint="IMAGE_VERSION the nodes must run afterwards, staged at /run/nextroot before. Empty: any (a plain soft-reboot)."
      >
        <TextInput
          {...input}
          className="max-w-xs font-mono"
          value={form.targetImageVersion}
          onChange={(e) => set({ targetImageVersion: e.target.value })}
        />
      </PlanField>
      <Checkbox
        id="plan-image-on"
        label="Stage the image in the rollout: each node downloads, checks and mounts it ahead of its batch"
        checked={form.imageOn}
        onChange={(imageOn) => set({ imageOn })}
        fields={["image"]}
      />
      {form.imageOn && (
        <>
          <PlanField
            id="plan-image-url"
            label="Image URL"
            fields={["image.url"]}
            hint="A path served by control to its agents (/images/name.tar), or an https:// URL."
          >
            <TextInput
              {...imageUrl}
              className="max-w-lg font-mono"
              value={form.imageUrl}
              onChange={(e) => set({ imageUrl: e.target.value })}
            />
          </PlanField>
          <PlanField
            id="plan-image-sha256"
            label="Image SHA-256"
            fields={["image.sha256"]}
            hint="The image's digest (sha256sum): a node whose download differs fails and is not rebooted."
          >
            <TextInput
              {...imageSha}
              className="max-w-lg font-mono"
              value={form.imageSha256}
              onChange={(e) => set({ imageSha256: e.target.value })}
            />
          </PlanField>
          <PlanField
            id="plan-staging-concurrency"
            label="Nodes staging at once"
            fields={["staging.concurrency"]}
            hint="Across the rollout: the next batch stages while one reboots."
          >
            <NumberInput
              id="plan-staging-concurrency"
              fields={["staging.concurrency"]}
              value={form.stagingConcurrency}
              onChange={(stagingConcurrency) => set({ stagingConcurrency })}
            />
          </PlanField>
          <PlanField
            id="plan-staging-bandwidth"
            label="Bandwidth per node (MB/s)"
            fields={["staging.bandwidthMBps"]}
            hint="A cap on each node's download. Empty: none."
          >
            <NumberInput
              id="plan-staging-bandwidth"
              fields={["staging.bandwidthMBps"]}
              value={form.stagingBandwidthMBps}
              onChange={(stagingBandwidthMBps) => set({ stagingBandwidthMBps })}
            />
          </PlanField>
        </>
      )}
      <Choice
        name="plan-when-not-staged"
        legend="A node without the target staged"
        value={form.whenNotStaged}
        options={[
          ["fail", "Fails (counts towards the failure threshold)"],
          ["skip", "Is skipped"],
        ]}
        onChange={(whenNotStaged) => set({ whenNotStaged })}
      />
      <FieldIssues id="plan-when-not-staged" fields={["whenNotStaged"]} />
    </Section>
  );
}

export function GateFields({ form, set }: PlanFieldsProps) {
  const units = usePlanInput("plan-units", ["gate.requiredUnits"]);
  return (
    <Section title="Health gate">
      <FieldIssues id="plan-gate" fields={["gate"]} />
      <PlanField
        id="plan-blocked-timeout"
        label="Block inhibitor wait (s)"
        fields={["blockedTimeoutSec"]}
        hint="How long a node held by a block inhibitor (systemd ≥ 257) may wait for it to go before it fails; 0 fails it at once. An operator can skip a node's inhibitors from the rollout page."
      >
        <NumberInput
          id="plan-blocked-timeout"
          fields={["blockedTimeoutSec"]}
          value={form.blockedTimeoutSec}
          onChange={(blockedTimeoutSec) => set({ blockedTimeoutSec })}
        />
      </PlanField>
      <PlanField
        id="plan-return-timeout"
        label="Return timeout (s)"
        fields={["gate.returnTimeoutSec"]}
        hint="From the reboot command to the node back online with its reboot record."
      >
        <NumberInput
          id="plan-return-timeout"
          fields={["gate.returnTimeoutSec"]}
          value={form.returnTimeoutSec}
          onChange={(returnTimeoutSec) => set({ returnTimeoutSec })}
        />
      </PlanField>
      <PlanField
        id="plan-units"
        label="Required units (comma separated)"
        fields={["gate.requiredUnits"]}
        hint="Each must be active after the reboot, e.g. nginx.service, postgresql.service."
      >
        <TextInput
          {...units}
          className="font-mono"
          value={form.requiredUnits}
          onChange={(e) => set({ requiredUnits: e.target.value })}
        />
      </PlanField>
      <PlanField
        id="plan-downtime"
        label="Downtime budget (ms)"
        fields={["gate.maxDowntimeMs"]}
        hint="Longest acceptable downtime of one node. Empty: not checked."
      >
        <NumberInput
          id="plan-downtime"
          fields={["gate.maxDowntimeMs"]}
          value={form.maxDowntimeMs}
          onChange={(maxDowntimeMs) => set({ maxDowntimeMs })}
        />
      </PlanField>
      <Checkbox
        id="plan-halt-survivor"
        label="Halt when a surviving payload restarted (a unit with SurviveFinalKillSignal=yes did not run through)"
        checked={form.haltOnSurvivorRestart}
        onChange={(haltOnSurvivorRestart) => set({ haltOnSurvivorRestart })}
        fields={["gate.haltOnSurvivorRestart"]}
      />
      <Checkbox
        id="plan-auto-rollback"
        label="Roll a node that fails its gate back to the image it ran before (its agent kept it), then halt"
        checked={form.autoRollback}
        onChange={(autoRollback) => set({ autoRollback })}
        fields={["autoRollback"]}
      />
      <PlanField
        id="plan-pinned"
        label="Pinned old root limit (MB)"
        fields={["gate.maxPinnedRootMb"]}
        hint="Halt when processes still hold more than this of a node's old root after its soft-reboot. Empty: not checked."
      >
        <NumberInput
          id="plan-pinned"
          fields={["gate.maxPinnedRootMb"]}
          value={form.maxPinnedRootMb}
          onChange={(maxPinnedRootMb) => set({ maxPinnedRootMb })}
        />
      </PlanField>
    </Section>
  );
}

export function ThresholdFields({ form, set }: PlanFieldsProps) {
  const fields = ["failureThreshold", "failureThreshold.count", "failureThreshold.percent"];
  return (
    <Section title="Failure threshold">
      <Choice
        name="plan-threshold-by"
        legend="Halt when failed nodes exceed"
        value={form.thresholdBy}
        options={[
          ["count", "A number of nodes"],
          ["percent", "A percentage of the group"],
        ]}
        onChange={(thresholdBy) => set({ thresholdBy })}
      />
      {form.thresholdBy === "count" ? (
        <PlanField
          id="plan-threshold-count"
          label="Failed nodes allowed"
          fields={fields}
          hint="0 halts the rollout at the first failure."
        >
          <NumberInput
            id="plan-threshold-count"
            fields={fields}
            value={form.thresholdCount}
            onChange={(thresholdCount) => set({ thresholdCount })}
          />
        </PlanField>
      ) : (
        <PlanField id="plan-threshold-percent" label="Failed nodes allowed (%)" fields={fields}>
          <NumberInput
            id="plan-threshold-percent"
            fields={fields}
            value={form.thresholdPercent}
            onChange={(thresholdPercent) => set({ thresholdPercent })}
          />
        </PlanField>
      )}
    </Section>
  );
}
