import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import type { Translate } from "./i18n.js";

/** The most a file of the command line (`--config`, `--clients`…) may hold: settings, not data. */
export const MAX_FILE_BYTES = 1024 * 1024;

/** A file refused before it is read whole: not a regular file (`/dev/zero`, a pipe), or too large. */
export class FileRefused extends Error {
  override name = "FileRefused";
  constructor(readonly reason: "not_regular" | "too_large") {
    super(reason);
  }
}

/**
 * A file of the command line as UTF-8 text (without a byte order mark), read no further than {@link MAX_FILE_BYTES}: a symbolic link
 * to `/dev/zero` or a huge file would otherwise fill the memory. Throws `FileRefused`, or as
 * `fs.readFileSync` does (`ENOENT`…).
 */
export function readTextFile(path: string): string {
  // Checked before opening: opening a named pipe would wait for a writer.
  if (!statSync(path).isFile()) throw new FileRefused("not_regular");
  const fd = openSync(path, "r");
  try {
    if (!fstatSync(fd).isFile()) throw new FileRefused("not_regular");
    const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
    let size = 0;
    // The size stat gave may change meanwhile: the bound is on what is read.
    for (let read = -1; read !== 0 && size < buffer.length; size += read) {
      read = readSync(fd, buffer, size, buffer.length - size, null);
    }
    if (size > MAX_FILE_BYTES) throw new FileRefused("too_large");
    // A byte order mark, as some Windows editors write: not part of the text.
    return buffer.toString("utf8", 0, size).replace(/^\uFEFF/, "");
  } finally {
    closeSync(fd);
  }
}

/** Why a file could not be read, in the run's language: what follows `<path> : `. */
export function fileProblem(error: unknown, t: Translate): string {
  if (error instanceof FileRefused) {
    return error.reason === "not_regular"
      ? t(
          "n'est pas un fichier ordinaire (un dossier, un périphérique, un tube ?)",
          "is not a regular file (a directory, a device, a pipe?)",
        )
      : t(
          `plus de ${MAX_FILE_BYTES / 1024 / 1024} Mo : trop gros pour un fichier de réglages`,
          `over ${MAX_FILE_BYTES / 1024 / 1024} MB: too large for a settings file`,
        );
  }
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT"
    ? t("fichier introuvable", "file not found")
    : t(`lecture impossible (${code ?? "?"})`, `cannot be read (${code ?? "?"})`);
}
