// Token budgets per client key (TOKEN_BUDGETS): a field reserves what it may use against every
// budget of its caller and model before its upstream call, settles to what the upstream reported
// after, and gives it back when the call failed. The counting is the ledger's (Redis when set).
import { mayBeKey, shownUnlessKey } from '../config/env-reader.ts';
import { globRegExp } from '../nim/model-patterns.ts';
import type { BudgetBucket, Hold, Ledger, Period } from './ledger.ts';

export interface BudgetRule {
  /** A key name, or `*`: every key without a rule of its own for the same models and period. */
  key: string;
  /** A model id pattern; null = every model. */
  model: string | null;
  tokens: number;
  period: Period;
  /** As written, e.g. `web@meta/*=200000/day`: in errors and the usage query. */
  text: string;
}

const KEY_NAME = /^(?:\*|[a-z0-9][a-z0-9_-]{0,62})$/;
const RULE = /^([^@=\s]+)(?:@([^=\s]+))?=(\d+)\/(day|month)$/;

/** `key[@model]=tokens/day|month;…` (`;` or newlines between rules); one problem per bad rule. */
export function parseBudgetRules(text: string): { rules: BudgetRule[]; problems: string[] } {
  const rules: BudgetRule[] = [];
  const problems: string[] = [];
  for (const entry of text.split(/[;\n]/).map((e) => e.trim())) {
    if (entry === '') continue;
    const match = RULE.exec(entry);
    if (!match) {
      const who = entry.split(/[@=]/)[0] ?? '';
      problems.push(
        `${mayBeKey(who) ? `a rule for ${shownUnlessKey(who)}` : JSON.stringify(entry)} is not key[@model]=tokens/day or key[@model]=tokens/month`,
      );
      continue;
    }
    const [, key, model, tokens, period] = match as unknown as [
      string,
      string,
      string | undefined,
      string,
      Period,
    ];
    if (!KEY_NAME.test(key)) {
      problems.push(
        mayBeKey(key)
          ? `a rule for ${shownUnlessKey(key)} names no key name (lower-case letters, digits, _ and -, as GATEWAY_API_KEYS names them) nor *`
          : `${JSON.stringify(entry)}: ${JSON.stringify(key)} is no key name (lower-case letters, digits, _ and -, as GATEWAY_API_KEYS names them) nor *`,
      );
      continue;
    }
    rules.push({ key, model: model ?? null, tokens: Number(tokens), period, text: entry });
  }
  return { rules, problems };
}

/** Why a field may not run: the budget that has too little left. */
export interface BudgetRefusal {
  rule: BudgetRule;
  used: number;
  resetsAt: Date;
}

/** What a field holds: settle or release it once. */
export interface BudgetHold {
  readonly tokens: number;
  hold: Hold;
}

export class Budgets {
  readonly #rules: { rule: BudgetRule; model: RegExp | null }[];
  readonly #ledger: Ledger;

  constructor(rules: readonly BudgetRule[], ledger: Ledger) {
    this.#rules = rules.map((rule) => ({
      rule,
      model: rule.model === null ? null : globRegExp(rule.model),
    }));
    this.#ledger = ledger;
  }

  /** The rules that bind `key` (a key name) calling `model`. */
  rulesFor(key: string, model: string): BudgetRule[] {
    const matching = this.#rules.filter((r) => r.model === null || r.model.test(model));
    const own = matching.filter((r) => r.rule.key === key).map((r) => r.rule);
    const scope = (r: BudgetRule) => `${r.model ?? ''}\u0000${r.period}`;
    const covered = new Set(own.map(scope));
    const fallback = matching
      .filter((r) => r.rule.key === '*' && !covered.has(scope(r.rule)))
      .map((r) => r.rule);
    return [...own, ...fallback];
  }

  /** Reserves `tokens` against every budget of `key` for `model`, all or none. */
  async reserve(
    key: string,
    model: string,
    tokens: number,
  ): Promise<{ hold: BudgetHold } | { refusal: BudgetRefusal }> {
    const rules = this.rulesFor(key, model);
    // Each key has its own bucket of a `*` rule.
    const buckets: BudgetBucket[] = rules.map((rule) => ({
      id: `${key}\u0000${rule.text}`,
      limit: rule.tokens,
      period: rule.period,
    }));
    const reserved = await this.#ledger.reserve(buckets, tokens);
    if (reserved.ok) return { hold: { tokens, hold: reserved.hold } };
    const rule = rules[buckets.findIndex((b) => b.id === reserved.bucket.id)]!;
    return { refusal: { rule, used: reserved.used, resetsAt: reserved.resetsAt } };
  }

  settle(held: BudgetHold, tokens: number): Promise<void> {
    return this.#ledger.settle(held.hold, tokens);
  }

  release(held: BudgetHold): Promise<void> {
    return this.#ledger.release(held.hold);
  }
}
