import type { NextConfig } from "next";

const config: NextConfig = {
  transpilePackages: ["@softfleet/api", "@softfleet/db", "@softfleet/protocol", "@softfleet/rollout"],
  serverExternalPackages: ["@prisma/client", "@prisma/adapter-pg", "pg", "@node-rs/argon2"],
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
};

export default config;
