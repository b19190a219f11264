// What every copy of the package in a process shares. An app may load both builds: the ESM one itself
// and the CommonJS one through a dependency (or the other way round). State split between two copies
// would break quietly (a requireAuth() of one copy not finding the proconnect() of the other), so it is
// kept on globalThis under a registered symbol, made by the first copy that needs it.

// The shape's version: a copy of another release that shares nothing with this one keeps its own.
const KEY = Symbol.for("proconnect-express: shared state, v1");

type Holder = { [KEY]?: Map<string, unknown> };

/** The process's one `name` state, made by `make()` on first use (by whichever copy comes first). */
export function shared<T>(name: string, make: () => T): T {
  const holder = globalThis as Holder;
  const all = (holder[KEY] ??= new Map<string, unknown>());
  if (!all.has(name)) all.set(name, make());
  return all.get(name) as T;
}
