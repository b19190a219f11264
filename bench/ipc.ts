// A minimal request/response protocol over Node's child-process IPC channel: the benchmark runs the
// provider and the relying parties in processes of their own, so that each has its own event loop (and
// a core, as far as a 2-core machine allows) and the client driving them does not share theirs.
import { fork, type ChildProcess } from "node:child_process";

interface Call {
  id: number;
  method: string;
  params: unknown;
}

type Reply = { id: number; result: unknown } | { id: number; error: string };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handlers = Record<string, (params: any) => unknown>;

/** In a child process: answers the parent's calls with `handlers`. */
export function serve(handlers: Handlers): void {
  process.on("message", (message: Call) => {
    const handler = handlers[message.method];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`no method ${message.method}`);
        return handler(message.params);
      })
      .then(
        (result) => process.send?.({ id: message.id, result } satisfies Reply),
        (error: unknown) =>
          process.send?.({
            id: message.id,
            error: error instanceof Error ? (error.stack ?? error.message) : String(error),
          } satisfies Reply),
      );
  });
  process.on("disconnect", () => process.exit(0));
}

export interface Child {
  call<T>(method: string, params?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts `file` as a child process (same Node flags, so tsx too) and returns a way to call it.
 * `quiet` lines of its stderr are dropped (oidc-provider's warning about Node 20, documented in the
 * README): everything else is passed through. `execPath`: another Node.js binary than this process's.
 */
export function start(file: URL, quiet: RegExp[] = [], execPath?: string): Child {
  const child: ChildProcess = fork(file, {
    stdio: ["ignore", "inherit", "pipe", "ipc"],
    ...(execPath === undefined ? {} : { execPath }),
  });
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    const kept = chunk
      .split("\n")
      .filter((line) => !quiet.some((pattern) => pattern.test(line)))
      .join("\n");
    if (kept.trim()) process.stderr.write(kept.endsWith("\n") ? kept : `${kept}\n`);
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let next = 0;
  child.on("message", (reply: Reply) => {
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (!waiting) return;
    if ("error" in reply) waiting.reject(new Error(`in ${file.pathname}: ${reply.error}`));
    else waiting.resolve(reply.result);
  });
  child.on("exit", (code) => {
    for (const waiting of pending.values()) {
      waiting.reject(new Error(`${file.pathname} exited (${code}) before answering`));
    }
    pending.clear();
  });
  return {
    call<T>(method: string, params?: unknown): Promise<T> {
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, method, params } satisfies Call);
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.disconnect();
      }),
  };
}
