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

/**
 * Marks in colour on a terminal that has them, as Node decides for its own output (`NO_COLOR`,
 * `NODE_DISABLE_COLORS`, `TERM=dumb`, `FORCE_COLOR`); elsewhere only with `FORCE_COLOR` (a CI's log).
 */
function colorFor(stream: NodeJS.WriteStream): boolean {
  if (stream.isTTY) return stream.hasColors();
  const forced = process.env.FORCE_COLOR;
  return forced !== undefined && ["", "1", "2", "3", "true"].includes(forced);
}

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  color: { out: colorFor(process.stdout), err: colorFor(process.stderr) },
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
