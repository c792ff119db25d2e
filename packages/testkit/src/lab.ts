import { type LabFleet, labControl, startLabFleet } from "@softfleet/launcher/lab";
import { startTestControl, type TestControl } from "./control";
import { createTestDatabase, type TestDatabase } from "./database";

export interface LabTestbed {
  t: TestDatabase;
  control: TestControl;
  fleet: LabFleet;
  stop(): Promise<void>;
}

/**
 * For lab suites: a test database, a control process over TLS (the lab's CA)
 * on loopback and the lab network, serving the lab's images (`buildImageTarball`)
 * at /images/, and real nodes whose agents enroll against it. What started is
 * stopped again when a later step fails.
 */
export async function startLabTestbed(options: {
  nodes: number;
  firstIndex: number;
  label: string;
}): Promise<LabTestbed> {
  const t = await createTestDatabase();
  let control: TestControl | undefined;
  try {
    const { controlTls, controlExtraHosts, env } = await labControl();
    control = await startTestControl(t, { tls: controlTls, extraHosts: controlExtraHosts, env });
    const fleet = await startLabFleet({
      databaseUrl: t.url,
      controlUrl: control.url,
      caFile: controlTls.caFile,
      ...options,
    });
    const started = control;
    return {
      t,
      control,
      fleet,
      async stop() {
        await fleet.stop();
        await started.stop();
        await t.drop();
      },
    };
  } catch (error) {
    await control?.stop();
    await t.drop();
    throw error;
  }
}
