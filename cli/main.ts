#!/usr/bin/env node
// The `proconnect-express` executable: the only module that reads process.argv and process.env.
import { readFileSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { EXIT } from "./args.js";
import { readTextFile } from "./files.js";
import { detectLang, translator } from "./i18n.js";
import type { Sink } from "./output.js";
import { run } from "./run.js";

/** The streams no longer written to: their reader went away. */
const gone = new Set<NodeJS.WriteStream>();

for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    gone.add(stream);
    // `doctor | head -1`: once the reader is gone, stop writing quietly, as Unix tools do, but run to
    // the end, so that the exit code is the run's own.
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED") return;
    // Anything else (a full disk: ENOSPC) loses the output: one line where it can still go, no stack.
    if (stream === process.stdout && !gone.has(process.stderr)) {
      const t = translator(detectLang(process.env));
      const code = error.code ?? error.name;
      try {
        writeSync(
          2,
          `${t(`proconnect-express : écriture impossible sur la sortie standard (${code})`, `proconnect-express: cannot write to standard output (${code})`)}\n`,
        );
      } catch {
        // stderr cannot take it either: the exit code says it.
      }
    }
    process.exit(EXIT.internal);
  });
}

/** A stream's writes, dropped once its reader is gone. */
const sink = (stream: NodeJS.WriteStream): Sink => ({
  write: (text) => gone.has(stream) || stream.write(text),
});

/** The version in the package's package.json: two folders up when built (dist/cli/), one from source. */
function packageVersion(): string {
  for (const path of ["../../package.json", "../package.json"]) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(path, import.meta.url), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (manifest.name === "proconnect-express" && typeof manifest.version === "string") {
        return manifest.version;
      }
    } catch {
      // Not there: the other place.
    }
  }
  throw new Error("package.json of proconnect-express not found");
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

const code = await run(process.argv.slice(2), {
  env: process.env,
  stdout: sink(process.stdout),
  stderr: sink(process.stderr),
  color: { out: colorFor(process.stdout), err: colorFor(process.stderr) },
  readFile: readTextFile,
  version: packageVersion,
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

// The command is done: a --config module may keep the event loop alive (a database pool, a timer), which
// must not keep the command from ending. What was written is flushed first.
await Promise.all(
  [process.stdout, process.stderr]
    .filter((stream) => !gone.has(stream))
    .map((stream) => new Promise((flushed) => stream.write("", flushed))),
);
process.exit(code);
