/** "Canary", "Batch 1", "Batch 2"…: batches are numbered after the canary, from 1. */
export function stageName(batches: readonly { index: number; kind: string }[], index: number): string {
  const batch = batches.find((b) => b.index === index);
  if (batch?.kind === "canary") return "Canary";
  const number = batches.filter((b) => b.kind !== "canary" && b.index <= index).length;
  return `Batch ${number}`;
}

export function nodesText(n: number): string {
  return n === 1 ? "1 node" : `${n} nodes`;
}
