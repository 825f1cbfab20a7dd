// What one request's calls spend, per client key and model: the budgets each call reserves
// against before it goes upstream, and the usage every call adds to the ledger (and the metrics).
import type { BudgetHold, BudgetRefusal, Budgets } from './budgets.ts';
import type { Ledger, Period, UsageCounts, UsageRow } from './ledger.ts';

/** What outlives a request: one ledger and the budget rules, shared by every request's Spending. */
export interface UsageServices {
  ledger: Ledger;
  budgets: Budgets | null;
  /** Key names that may read every key's usage (GATEWAY_ADMIN_KEYS). */
  admins: ReadonlySet<string>;
  /** Hears every record (Prometheus counters by key name). */
  onRecord?: (key: string, model: string, counts: UsageCounts) => void;
  /** Hears every call a budget refused (it made no upstream call, so the ledger does not count it). */
  onRefused?: (key: string, model: string) => void;
}

/** `key:<name>` (a named or fingerprinted key) is the key `<name>`; a caller without a key is itself. */
function keyNameOf(client: string): string {
  return client.startsWith('key:') ? client.slice(4) : client;
}

export class Spending {
  /** The caller's name in the ledger, budgets and usage query. */
  readonly key: string;
  readonly #keyed: boolean;
  readonly #services: UsageServices;

  constructor(services: UsageServices, client: string) {
    this.#services = services;
    this.key = keyNameOf(client);
    this.#keyed = client.startsWith('key:');
  }

  /** Whether the caller may read every key's usage. */
  get admin(): boolean {
    return this.#keyed && this.#services.admins.has(this.key);
  }

  /** Usage this day or month: the caller's, or every key's. */
  usage(period: Period, allKeys: boolean): Promise<UsageRow[]> {
    return this.#services.ledger.usage(allKeys ? null : this.key, period);
  }

  /** When the current day or month ends. */
  resetsAt(period: Period): Date {
    return this.#services.ledger.resetsAt(period);
  }

  /** Reserves `tokens` for a call to `model`; null when no budget binds the caller. */
  async reserve(
    model: string,
    tokens: number,
  ): Promise<{ hold: BudgetHold | null } | { refusal: BudgetRefusal }> {
    const { budgets } = this.#services;
    if (budgets === null || !this.#keyed) return { hold: null };
    const reserved = await budgets.reserve(this.key, model, tokens);
    if ('refusal' in reserved) this.#services.onRefused?.(this.key, model);
    return reserved;
  }

  /** The call used `tokens` of its reservation (all of it when the upstream did not say). */
  async settle(held: BudgetHold | null, tokens: number | null): Promise<void> {
    if (held !== null) await this.#services.budgets?.settle(held, tokens ?? held.tokens);
  }

  /** The call failed: its reservation goes back. */
  async release(held: BudgetHold | null): Promise<void> {
    if (held !== null) await this.#services.budgets?.release(held);
  }

  /** A call to `model` succeeded with this usage. */
  used(model: string, promptTokens: number, completionTokens: number): Promise<void> {
    return this.#record(model, { promptTokens, completionTokens, requests: 1, errors: 0 });
  }

  /** A call to `model` failed. */
  failed(model: string): Promise<void> {
    return this.#record(model, { promptTokens: 0, completionTokens: 0, requests: 1, errors: 1 });
  }

  async #record(model: string, counts: UsageCounts): Promise<void> {
    this.#services.onRecord?.(this.key, model, counts);
    await this.#services.ledger.record(this.key, model, counts);
  }
}
