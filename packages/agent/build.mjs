// Bundles the agent into one ESM file that runs on plain Node 20 with no node_modules:
// hosts get a single file to copy, next to the systemd unit.
import { dirname } from "node:path";
import { build } from "esbuild";

/**
 * zod re-exports all of its ~50 message locales through the `z` namespace
 * object (`import { z } from "zod/mini"`), so none can be tree-shaken: a third
 * of the bundle. The agent imports zod as `* as z` from @softfleet/protocol/zod,
 * which sets English itself and leaves the index out; should the namespace
 * object come back, the locale index keeps just English.
 */
const englishOnlyZodLocales = {
  name: "zod-english-only",
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      loader: "js",
      resolveDir: dirname(args.path),
    }));
  },
};

/**
 * dbus-next loads xml2js (with xmlbuilder and sax, a fifth of its weight) to
 * introspect proxies and to answer Introspect for exported objects. The
 * agent does neither: it makes plain method calls and exports nothing. A
 * small stand-in keeps that weight out of the agent's memory; an Introspect
 * call to the agent gets an empty node.
 */
const noXmlForDbus = {
  name: "no-xml-for-dbus-next",
  setup(build) {
    build.onResolve({ filter: /^xml2js$/ }, () => ({ path: "xml2js-stand-in", namespace: "softfleet" }));
    build.onLoad({ filter: /^xml2js-stand-in$/, namespace: "softfleet" }, () => ({
      contents: [
        "export class Builder { buildObject() { return '<node/>'; } }",
        "export class Parser {",
        "  parseString(_xml, done) { done(new Error('the agent bundle cannot introspect D-Bus objects')); }",
        "}",
      ].join("\n"),
      loader: "js",
    }));
  },
};

const result = await build({
  entryPoints: ["src/main.ts"],
  outfile: "dist/softfleet-agent.mjs",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  metafile: true,
  plugins: [englishOnlyZodLocales, noXmlForDbus],
  // Optional native or unused modules dbus-next and ws require inside try/catch:
  // left out, so the bundle falls back to their pure-JS paths (usocket: plain
  // net sockets, which is all the agent needs as it passes no fds).
  external: ["usocket", "x11", "bufferutil", "utf-8-validate"],
  banner: {
    // dbus-next and ws are CommonJS and call require(): give the ESM bundle one.
    js: [
      "#!/usr/bin/env node",
      'import { createRequire as __sfCreateRequire } from "node:module";',
      "const require = __sfCreateRequire(import.meta.url);",
    ].join("\n"),
  },
  logLevel: "warning",
});

// The agent's schemas use zod/mini: classic zod costs the agent about 150 KiB,
// some MB of memory and tens of ms of start-up, for methods it does not use.
const classicZod = Object.keys(result.metafile.inputs).filter((input) =>
  /[\\/]zod[\\/]v4[\\/]classic[\\/]/.test(input),
);
if (classicZod.length > 0) {
  throw new Error(
    `classic zod is in the bundle (${classicZod[0]}): import zod as \`* as z\` from @softfleet/protocol/zod`,
  );
}

const bytes = Object.values(result.metafile.outputs)[0].bytes;
console.log(`dist/softfleet-agent.mjs: ${(bytes / 1024).toFixed(0)} KiB`);
