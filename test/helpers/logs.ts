import { Writable } from "node:stream";
import { pino, type Level } from "pino";

/** pino at `level` writing its JSON lines to memory: `raw` as written, `lines` parsed. */
export function pinoInMemory<Line = Record<string, unknown>>(level: Level = "info") {
  const raw: string[] = [];
  const lines: Line[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Line);
      }
      done();
    },
  });
  return { logger: pino({ level }, destination), raw, lines };
}
