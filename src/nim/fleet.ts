// A fleet of upstreams: each with its own transport (pool, breaker, concurrency limit, retry
// budget), the models it serves (its /v1/models, filtered and aliased), and for each call the order
// to try them in: weighted among the healthy ones that serve the model, the unhealthy ones last.
import type { CircuitState } from './breaker.ts';
import { globRegExp } from './model-patterns.ts';
import type { ModelSelection } from './settings.ts';
import type { CallOptions, NimTransport } from './transport.ts';
import { modelList, type ModelCard } from './wire.ts';

/** What one upstream serves, from its last model list that was read. */
interface Listing {
  /** The cards under their public ids. */
  cards: ModelCard[];
  /** Public id → the upstream's own id. */
  served: Map<string, string>;
  /** Aliases whose own id the list does not have. */
  unlistedAliases: string[];
}

export interface UpstreamHealth {
  name: string;
  circuit: CircuitState;
  /** Its circuit is not open and its last model list was read. */
  healthy: boolean;
  /** Why its last model list could not be read; null when it was. */
  listError: string | null;
  /** Aliases whose own id its last model list did not have (served by no alias then). */
  unlistedAliases: string[];
}

export class FleetMember {
  readonly name: string;
  readonly transport: NimTransport;
  readonly weight: number;
  readonly #aliases: ReadonlyMap<string, string>;
  readonly #include: RegExp[] | null;
  #listing: Listing | null = null;
  #listedOk = false;
  #listError: string | null = 'its model list was not read yet';

  constructor(name: string, transport: NimTransport, weight: number, selection: ModelSelection) {
    this.name = name;
    this.transport = transport;
    this.weight = weight;
    this.#aliases = new Map(Object.entries(selection.aliases));
    this.#include = selection.include === null ? null : selection.include.map(globRegExp);
  }

  /** The id this upstream knows `model` by. */
  upstreamId(model: string): string {
    return this.#listing?.served.get(model) ?? this.#aliases.get(model) ?? model;
  }

  /** Whether it serves `model`: by its last list, or by its aliases before any list was read. */
  serves(model: string): boolean {
    return this.#listing === null ? this.#aliases.has(model) : this.#listing.served.has(model);
  }

  health(): UpstreamHealth {
    const circuit = this.transport.circuit().state;
    const healthy = circuit !== 'open' && this.#listedOk;
    const unlistedAliases = this.#listing?.unlistedAliases ?? [];
    return { name: this.name, circuit, healthy, listError: this.#listError, unlistedAliases };
  }

  get listing(): Listing | null {
    return this.#listing;
  }

  async list(options: CallOptions): Promise<Listing> {
    try {
      const body = await this.transport.json(
        { ...options, method: 'GET', path: '/v1/models', model: null },
        modelList,
      );
      this.#listing = this.#select(body.data);
      this.#listedOk = true;
      this.#listError = null;
      return this.#listing;
    } catch (error) {
      this.#listedOk = false;
      this.#listError = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  /** Aliased models under their public ids (and not under their own), then those `include` lets in. */
  #select(cards: readonly ModelCard[]): Listing {
    const byId = new Map(cards.map((card) => [card.id, card]));
    const aliased = new Set(this.#aliases.values());
    const listing: Listing = { cards: [], served: new Map(), unlistedAliases: [] };
    const add = (card: ModelCard, publicId: string) => {
      if (listing.served.has(publicId)) return;
      listing.served.set(publicId, card.id);
      listing.cards.push(card.id === publicId ? card : { ...card, id: publicId });
    };
    for (const [publicId, own] of this.#aliases) {
      const card = byId.get(own);
      if (card) add(card, publicId);
      else listing.unlistedAliases.push(publicId);
    }
    for (const card of cards) {
      if (aliased.has(card.id)) continue;
      if (this.#include === null || this.#include.some((pattern) => pattern.test(card.id)))
        add(card, card.id);
    }
    return listing;
  }
}

export class Fleet {
  readonly members: readonly FleetMember[];
  readonly #random: () => number;

  constructor(members: readonly FleetMember[], random: () => number = Math.random) {
    this.members = members;
    this.#random = random;
  }

  /**
   * Who to try for `model`, in order: the healthy upstreams serving it in a weighted random order,
   * then the others serving it (their breakers answer at once). When none is known to serve it,
   * every upstream, so that an upstream decides as one upstream alone would.
   */
  route(model: string | null): FleetMember[] {
    if (this.members.length === 1) return [...this.members];
    const serving = model === null ? [] : this.members.filter((m) => m.serves(model));
    const candidates = serving.length > 0 ? serving : [...this.members];
    const keyed = candidates.map((member) => ({
      member,
      open: member.transport.circuit().state === 'open',
      // Exponential race: the smallest -ln(u)/weight wins with probability weight / total.
      key: -Math.log(1 - this.#random()) / member.weight,
    }));
    keyed.sort((a, b) => Number(a.open) - Number(b.open) || a.key - b.key);
    return keyed.map((k) => k.member);
  }

  /**
   * Every upstream's models, merged (an id listed twice keeps the first upstream's card). An
   * upstream whose list cannot be read keeps serving its last list; only when no upstream answers
   * does the call fail, with the first upstream's error.
   */
  async listModels(options: CallOptions = {}): Promise<ModelCard[]> {
    const results = await Promise.allSettled(this.members.map((m) => m.list(options)));
    const failures = results.filter((r) => r.status === 'rejected');
    if (failures.length === results.length) throw failures[0]!.reason;
    const merged = new Map<string, ModelCard>();
    for (const member of this.members) {
      for (const card of member.listing?.cards ?? [])
        if (!merged.has(card.id)) merged.set(card.id, card);
    }
    return [...merged.values()];
  }

  /** The upstreams serving `model`, each with its health. */
  upstreamsOf(model: string): UpstreamHealth[] {
    return this.members.filter((m) => m.serves(model)).map((m) => m.health());
  }
}
