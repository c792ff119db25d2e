import { defineConfig } from "vitest/config";

// Pure logic: no database, so none of the root config's global setup.
export default defineConfig({
  root: import.meta.dirname,
  test: {
    include: ["src/**/*.test.ts"],
  },
});
