// The rollout engine's thread starts here: TypeScript needs tsx's loader registered in each thread.
import { register } from "tsx/esm/api";

register();
await import("./engine-worker.ts");
