import { run } from "./run";

const code = await run(process.argv.slice(2), {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  write: (chunk) => process.stdout.write(chunk),
  stdin: process.stdin,
  env: process.env,
});
process.exitCode = code;
