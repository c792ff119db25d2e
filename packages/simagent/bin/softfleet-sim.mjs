#!/usr/bin/env node
// The CLI is TypeScript run through tsx, like the repository's other tools.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
