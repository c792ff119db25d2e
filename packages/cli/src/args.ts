import { type ParseArgsConfig, parseArgs } from "node:util";
import { CliError } from "./errors";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** One verb's flags, strictly: an unknown flag or a missing value is an error that names it. */
export function flagsOf<O extends Options>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(`${(error as Error).message.replace(/^TypeError \[\w+\]: /, "")}\nusage: ${usage}`);
  }
}

/** A whole number from a flag, or an error naming the flag. */
export function intFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number)) throw new CliError(`--${name}: "${value}" is not a whole number`);
  return number;
}

export function numberFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number)) throw new CliError(`--${name}: "${value}" is not a number`);
  return number;
}

/** The one positional a verb takes (an id), or an error saying which is missing. */
export function onePositional(positionals: string[], what: string, usage: string): string {
  if (positionals.length !== 1) {
    throw new CliError(
      positionals.length === 0
        ? `missing the ${what}\nusage: ${usage}`
        : `expected one ${what}, got ${positionals.length}`,
    );
  }
  return positionals[0] as string;
}
