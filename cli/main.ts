#!/usr/bin/env node
// The `proconnect-express` executable: the only module that reads process.argv and process.env.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { run } from "./run.js";

// `proconnect-express sp-config | head`: once the reader is gone, stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  // Marks in colour on a terminal only, and never with NO_COLOR (https://no-color.org).
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
  readFile: (path) => readFileSync(path, "utf8"),
  importFile: (path) => import(pathToFileURL(resolve(path)).href),
  fetch: globalThis.fetch,
  now: Date.now,
  // Handled, these signals no longer kill the process: the emulator closes first, then it exits. A
  // second one, should closing hang, ends the process at once (128 + the signal's number).
  untilInterrupted: () =>
    new Promise((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        process.once("SIGINT", () => process.exit(130));
        process.once("SIGTERM", () => process.exit(143));
        resolve(signal);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    }),
});
