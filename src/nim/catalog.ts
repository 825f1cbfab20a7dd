// The model list: one process-wide cache (TTL, single-flight refresh, stale on failure) and a
// per-request view whose DataLoader reads it at most once per operation. The catalog also keeps
// when the upstream last answered, which readiness reads.
import DataLoader from 'dataloader';
import { NimError } from './errors.ts';
import type { UpstreamAttempt } from './transport.ts';
import type { ModelCard } from './wire.ts';

/** Who waits on a refresh hears of its upstream attempts (each request's trace counts the call it waited on). */
export interface RefreshCaller {
  onAttempt?: ((attempt: UpstreamAttempt) => void) | undefined;
  headers?: Readonly<Record<string, string>> | undefined;
}

export interface ModelSource {
  listModels(options?: RefreshCaller): Promise<ModelCard[]>;
  /** When present, tells the catalog about every healthy upstream answer, not only model lists. */
  onAnswered?(listener: () => void): void;
}

export interface CatalogOptions {
  ttlMs: number;
  /** Unknown ids trigger a refresh at most this often, so bad ids cannot hammer the upstream. */
  refreshMinIntervalMs: number;
  now?: () => number;
  /** Where the stale-list warning goes (the gateway's logger); console.warn by default. */
  warn?: (fields: Record<string, unknown>, message: string) => void;
}

export interface CatalogSnapshot {
  models: readonly ModelCard[];
  byId: ReadonlyMap<string, ModelCard>;
  fetchedAt: number;
}

export interface CatalogStats {
  hits: number;
  misses: number;
  refreshes: number;
  refreshFailures: number;
  staleServed: number;
}

export class ModelCatalog {
  readonly stats: CatalogStats = {
    hits: 0,
    misses: 0,
    refreshes: 0,
    refreshFailures: 0,
    staleServed: 0,
  };
  private snapshot: CatalogSnapshot | null = null;
  private inflight: Promise<CatalogSnapshot> | null = null;
  private readonly waiting = new Set<(attempt: UpstreamAttempt) => void>();
  private refreshFailedAt: number | null = null;
  private answeredAt: number | null = null;
  private warnedFor: unknown = null;
  private readonly source: ModelSource;
  private readonly options: CatalogOptions;
  private readonly now: () => number;

  constructor(source: ModelSource, options: CatalogOptions) {
    this.source = source;
    this.options = options;
    this.now = options.now ?? Date.now;
    source.onAnswered?.(() => {
      this.answeredAt = this.now();
    });
  }

  /** How long ago the upstream last answered as a healthy upstream does; null when it never did. */
  upstreamAnsweredAgeMs(): number | null {
    return this.answeredAt === null ? null : this.now() - this.answeredAt;
  }

  /** The cached list while fresh; otherwise one shared refresh. A failed refresh serves the stale list. */
  async current(caller: RefreshCaller = {}): Promise<CatalogSnapshot> {
    const snapshot = this.snapshot;
    if (snapshot && this.now() - snapshot.fetchedAt < this.options.ttlMs) {
      this.stats.hits++;
      return snapshot;
    }
    this.stats.misses++;
    // Right after a failed refresh the stale list is served at once: an outage must not make every request wait for one.
    const failedRecently =
      this.refreshFailedAt !== null &&
      this.now() - this.refreshFailedAt < this.options.refreshMinIntervalMs;
    if (snapshot && failedRecently) {
      this.stats.staleServed++;
      return snapshot;
    }
    try {
      return await this.refresh(caller);
    } catch (error) {
      if (!snapshot) throw error;
      this.stats.staleServed++;
      this.warnStale(error, snapshot);
      return snapshot;
    }
  }

  /** Fetches the list now; concurrent callers share one upstream call. */
  refresh(caller: RefreshCaller = {}): Promise<CatalogSnapshot> {
    const listener = caller.onAttempt;
    if (listener) this.waiting.add(listener);
    this.inflight ??= this.fetch(caller).finally(() => {
      this.inflight = null;
      this.waiting.clear();
    });
    return this.inflight;
  }

  /** The model, refreshing once when it is unknown (it may have just been deployed). */
  async require(id: string, caller: RefreshCaller = {}): Promise<ModelCard> {
    let snapshot = await this.current(caller);
    const recent = this.now() - snapshot.fetchedAt < this.options.refreshMinIntervalMs;
    if (!snapshot.byId.has(id) && !recent) snapshot = await this.refresh(caller);
    const model = snapshot.byId.get(id);
    if (model) return model;
    throw new NimError({
      kind: 'model_not_found',
      model: id,
      availableModels: snapshot.models.map((m) => m.id),
      message: `The model \`${id}\` does not exist.`,
    });
  }

  /** Forget the list, e.g. after the upstream said a listed model does not exist. */
  invalidate(): void {
    this.snapshot = null;
  }

  /** One line per failed refresh (callers sharing it share its error): the list is marked stale in the log. */
  private warnStale(error: unknown, stale: CatalogSnapshot): void {
    if (error === this.warnedFor) return;
    this.warnedFor = error;
    const reason = error instanceof Error ? error.message : String(error);
    const ageSeconds = Math.round((this.now() - stale.fetchedAt) / 1000);
    const message = `model list refresh failed (${reason}); serving the stale list of ${stale.models.length} models fetched ${ageSeconds} s ago`;
    if (this.options.warn)
      this.options.warn({ stale: true, models: stale.models.length, ageSeconds, reason }, message);
    else console.warn(`nim-graphql: ${message}`);
  }

  private async fetch(caller: RefreshCaller): Promise<CatalogSnapshot> {
    this.stats.refreshes++;
    try {
      const onAttempt = (attempt: UpstreamAttempt) => {
        for (const listener of this.waiting) listener(attempt);
      };
      const models = await this.source.listModels({ headers: caller.headers, onAttempt });
      const snapshot = {
        models,
        byId: new Map(models.map((m) => [m.id, m])),
        fetchedAt: this.now(),
      };
      this.snapshot = snapshot;
      this.answeredAt = snapshot.fetchedAt;
      this.refreshFailedAt = null;
      return snapshot;
    } catch (error) {
      this.stats.refreshFailures++;
      this.refreshFailedAt = this.now();
      throw error;
    }
  }
}

/** One request's view of the catalog: the list is read once per operation, ids batch through DataLoader. */
export class RequestModels {
  private readonly catalog: ModelCatalog;
  private readonly caller: RefreshCaller;
  private snapshot: Promise<CatalogSnapshot> | null = null;
  private readonly loader: DataLoader<string, ModelCard | null>;

  /** `caller`: the request's trace hears of the upstream calls it waits on. */
  constructor(catalog: ModelCatalog, caller: RefreshCaller = {}) {
    this.catalog = catalog;
    this.caller = caller;
    this.loader = new DataLoader(async (ids) => {
      const { byId } = await this.read();
      return ids.map((id) => byId.get(id) ?? null);
    });
  }

  async all(): Promise<readonly ModelCard[]> {
    return (await this.read()).models;
  }

  load(id: string): Promise<ModelCard | null> {
    return this.loader.load(id);
  }

  /** As `load`, but refreshes once for an unknown id and fails with model_not_found. */
  async require(id: string): Promise<ModelCard> {
    const model = await this.load(id);
    if (model) return model;
    const found = await this.catalog.require(id, this.caller);
    this.snapshot = null;
    this.loader.clear(id).prime(id, found);
    return found;
  }

  /**
   * Runs a call routed by model id: unknown ids fail before the call, and an upstream
   * "no such model" refreshes the catalog and names the models that are served now.
   */
  async withModel<T>(id: string, call: () => Promise<T>): Promise<T> {
    await this.require(id);
    try {
      return await call();
    } catch (error) {
      throw await this.explain(error, id);
    }
  }

  /** An upstream "no such model" for `id` refreshes the catalog and names the models served now. */
  async explain(error: unknown, id: string): Promise<unknown> {
    if (!(error instanceof NimError) || error.kind !== 'model_not_found') return error;
    // Stryker disable next-line ArrowFunction: undefined reads as null below.
    const fresh = await this.catalog.refresh(this.caller).catch(() => null);
    return new NimError({
      kind: 'model_not_found',
      status: error.status,
      model: id,
      availableModels: fresh?.models.map((m) => m.id) ?? [],
      message: error.message,
    });
  }

  private read(): Promise<CatalogSnapshot> {
    this.snapshot ??= this.catalog.current(this.caller);
    return this.snapshot;
  }
}
