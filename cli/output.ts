import type { ProConnectEnvironment, ProConnectNetwork } from "../lib/issuers.js";
import { translator, type Lang, type Translate } from "./i18n.js";

/** Where a command writes: its report on `out`, errors about how it was called or configured on `err`. */
export interface Output {
  /** One line (control characters, a newline included, are shown escaped). */
  out(line?: string): void;
  err(line?: string): void;
  /** The language of the run: every line is in this one. */
  readonly lang: Lang;
  /** The sentence of the run's language. */
  readonly t: Translate;
}

/** A writable stream, as `process.stdout` is one. */
export interface Sink {
  write(text: string): unknown;
}

export interface OutputOptions {
  stdout: Sink;
  stderr: Sink;
  /** Colour the marks that start lines (green ✔, red ✘…), on each stream: a terminal's, say. */
  color: { out: boolean; err: boolean };
  /** Values replaced by `***` wherever they would appear (the client secret): a last line of defence. */
  secrets?: readonly (string | undefined)[];
  /** French by default. */
  lang?: Lang;
}

/** The network and the environment as ProConnect's form names them (the form is in French). */
export const NETWORK_LABELS: Record<ProConnectNetwork, string> = {
  internet: "Internet",
  rie: "RIE",
};
export const ENVIRONMENT_LABELS: Record<Lang, Record<ProConnectEnvironment, string>> = {
  fr: { integration: "Intégration", production: "Production" },
  en: { integration: "Integration", production: "Production" },
};

/** How a check or a warning ended. Each has a mark that reads without colour. */
export type Status = "pass" | "fail" | "skip" | "warn" | "info";

const MARKS: Record<Status, string> = { pass: "✔", fail: "✘", skip: "–", warn: "⚠", info: "•" };
const COLORS: Record<Status, string> = {
  pass: "\u001b[32m",
  fail: "\u001b[31m",
  skip: "\u001b[2m",
  warn: "\u001b[33m",
  info: "\u001b[36m",
};
const RESET = "\u001b[0m";

// Too short a secret would mask ordinary words: such a secret is refused by ProConnect anyway.
const MIN_MASKED_LENGTH = 6;

/**
 * An {@link Output} writing lines to two streams, masking the secrets it is given.
 *
 * @example
 * const output = createOutput({
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 *   color: { out: false, err: false },
 * });
 * output.out(mark("pass") + " découverte");
 */
export function createOutput(options: OutputOptions): Output {
  // The longest first: a secret that contains another is masked whole.
  const secrets = (options.secrets ?? [])
    .filter(
      (secret): secret is string => secret !== undefined && secret.length >= MIN_MASKED_LENGTH,
    )
    .sort((a, b) => b.length - a.length);
  // Masked, then made one printable line: a value echoed from the input (an argument, a file's
  // error) cannot move the cursor, colour the terminal nor start a line of its own.
  const mask = (text: string) =>
    escapeControls(secrets.reduce((masked, secret) => masked.split(secret).join("***"), text));
  const lang = options.lang ?? "fr";
  const { color } = options;
  return {
    lang,
    t: translator(lang),
    out: (line = "") =>
      void options.stdout.write(`${color.out ? colored(mask(line)) : mask(line)}\n`),
    err: (line = "") =>
      void options.stderr.write(`${color.err ? colored(mask(line)) : mask(line)}\n`),
  };
}

/** Control characters (but tab), as `\u001b`: a line written is one line, shown as typed. */
export function escapeControls(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- control characters are what is matched
    /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The mark of a status (`✔`, `✘`, `–`, `⚠`, `•`), to start a line with: the output colours it. */
export function mark(status: Status): string {
  return MARKS[status];
}

const STATUS_OF = new Map(Object.entries(MARKS).map(([status, mark]) => [mark, status as Status]));

/** `line` with its leading mark coloured, if it starts with one. */
function colored(line: string): string {
  const status = STATUS_OF.get(line.charAt(0));
  return status === undefined ? line : `${COLORS[status]}${line.charAt(0)}${RESET}${line.slice(1)}`;
}
