/** What decide() asks the engine to do; each carries the reason recorded with its transition. */
export type Action =
  | { type: "start-batch"; batchIndex: number; reason: string }
  | { type: "reboot-node"; nodeId: string; reason: string }
  /** Stage the plan's image on a node (ahead of its reboot). */
  | { type: "stage-node"; nodeId: string; reason: string }
  | { type: "node-staged"; nodeId: string; reason: string }
  /** Soft-reboot a node that failed its gate back into `version`, the image it ran before. */
  | { type: "rollback-node"; nodeId: string; version: string; reason: string }
  | { type: "node-rolled-back"; nodeId: string; reason: string }
  | { type: "node-succeeded"; nodeId: string; reason: string }
  | { type: "node-failed"; nodeId: string; reason: string }
  | { type: "node-skipped"; nodeId: string; reason: string }
  /** Block inhibitors hold a pending node: it waits (up to the plan's blockedTimeoutSec) without a transition. */
  | { type: "node-blocked"; nodeId: string; reason: string }
  | { type: "finish-batch"; batchIndex: number; reason: string }
  | { type: "batch-settled"; batchIndex: number; reason: string }
  | { type: "await-approval"; reason: string }
  | { type: "halt"; reason: string }
  | { type: "complete"; reason: string }
  | { type: "cancel-pending-nodes"; reason: string };

export interface Decision {
  actions: Action[];
  /** When to call decide() again if nothing happens before; null: only an event can change anything. */
  wakeAt: Date | null;
}
