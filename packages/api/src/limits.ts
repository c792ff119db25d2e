/** The most calls one tRPC request may batch: the server refuses more, and the web client's batch link sends no more. */
export const MAX_BATCH_SIZE = 20;
