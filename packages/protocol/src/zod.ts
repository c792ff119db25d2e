/**
 * The zod the protocol's schemas (and the agent's own) are written with:
 * zod/mini, the functional API that bundlers can tree-shake. The agent bundles
 * them, and classic zod would cost it a few MB of memory and tens of ms of
 * start-up for methods it does not use.
 *
 * Classic zod loads its English messages by itself; zod/mini loads no locale
 * (every issue would say "Invalid input"), so this module sets English, unless
 * a locale was set already. The setting is zod's global config, which classic
 * zod shares: messages stay those classic zod gives, wherever they are read.
 */
import { config } from "zod/mini";
import en from "zod/v4/locales/en.js";

if (!config().localeError) config(en());

export * from "zod/mini";
