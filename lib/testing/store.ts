import type { Adapter, AdapterPayload } from "oidc-provider";

interface Entry {
  payload: AdapterPayload;
  expiresAt: number;
}

interface Model {
  entries: Map<string, Entry>;
  // Sessions are looked up by uid on every userinfo call: index them rather than scan.
  idByUid: Map<string, string>;
}

/**
 * One in-memory store per emulator. oidc-provider's own memory adapter is a single LRU of 1,000 entries
 * shared by every provider in the process: several emulators, or a few hundred logins, would evict each
 * other's sessions and codes. Here each emulator owns its maps, entries expire with their TTL, and the
 * `Client` model is writable so that clients can be registered after start-up.
 */
export class EmulatorStore {
  readonly #models = new Map<string, Model>();
  // Grant id → the tokens issued under it, for revocation by grant.
  readonly #grants = new Map<string, Set<[Model, string]>>();
  #writes = 0;

  adapterFor(name: string): Adapter {
    return new ModelAdapter(this, this.#model(name));
  }

  /** Live entries per model: lets tests check that the emulator's state stays bounded. */
  size(): Record<string, number> {
    this.sweep();
    return Object.fromEntries([...this.#models].map(([name, model]) => [name, model.entries.size]));
  }

  put(model: Model, id: string, payload: AdapterPayload, ttl: number): void {
    model.entries.set(id, { payload, expiresAt: ttl > 0 ? Date.now() + ttl * 1000 : Infinity });
    if (payload.uid) model.idByUid.set(payload.uid, id);
    if (payload.grantId) {
      let tokens = this.#grants.get(payload.grantId);
      if (!tokens) this.#grants.set(payload.grantId, (tokens = new Set()));
      tokens.add([model, id]);
    }
    // Expired entries are dropped every so often rather than by timers, so a closed emulator leaves none.
    if (++this.#writes % 256 === 0) this.sweep();
  }

  get(model: Model, id: string): AdapterPayload | undefined {
    const entry = model.entries.get(id);
    if (entry && entry.expiresAt <= Date.now()) {
      this.delete(model, id);
      return undefined;
    }
    return entry?.payload;
  }

  delete(model: Model, id: string): void {
    const uid = model.entries.get(id)?.payload.uid;
    if (uid) model.idByUid.delete(uid);
    model.entries.delete(id);
  }

  revokeGrant(grantId: string): void {
    for (const [model, id] of this.#grants.get(grantId) ?? []) this.delete(model, id);
    this.#grants.delete(grantId);
  }

  sweep(): void {
    const now = Date.now();
    for (const model of this.#models.values()) {
      for (const [id, entry] of model.entries) if (entry.expiresAt <= now) this.delete(model, id);
    }
    for (const [grantId, tokens] of this.#grants) {
      for (const token of tokens) if (!token[0].entries.has(token[1])) tokens.delete(token);
      if (tokens.size === 0) this.#grants.delete(grantId);
    }
  }

  #model(name: string): Model {
    let model = this.#models.get(name);
    if (!model) this.#models.set(name, (model = { entries: new Map(), idByUid: new Map() }));
    return model;
  }
}

class ModelAdapter implements Adapter {
  readonly #store: EmulatorStore;
  readonly #model: Model;

  constructor(store: EmulatorStore, model: Model) {
    this.#store = store;
    this.#model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    this.#store.put(this.#model, id, payload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.#store.get(this.#model, id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = this.#model.idByUid.get(uid);
    return id === undefined ? undefined : this.#store.get(this.#model, id);
  }

  async findByUserCode(): Promise<AdapterPayload | undefined> {
    return undefined; // The device flow is not part of ProConnect.
  }

  async consume(id: string): Promise<void> {
    const payload = this.#store.get(this.#model, id);
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(this.#model, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    this.#store.revokeGrant(grantId);
  }
}
