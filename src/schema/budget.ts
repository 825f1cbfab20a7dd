// A field's calls under its caller's token budgets: what the field may use is reserved before its
// upstream call (refused as a typed BudgetExceededError when a budget has less left), settled to
// what the upstream reported after, given back when the call failed.
import type { Context } from '../context.ts';
import type { BudgetHold } from '../usage/budgets.ts';
import { BudgetExceededError } from './failures.ts';

/** Reserves `tokens` of the caller's budgets for `model`, or throws BudgetExceededError. */
export async function reserveBudget(
  ctx: Context,
  model: string,
  tokens: number,
): Promise<BudgetHold | null> {
  const reserved = await ctx.spending.reserve(model, tokens);
  if ('hold' in reserved) return reserved.hold;
  const { rule, used, resetsAt } = reserved.refusal;
  const left = Math.max(0, rule.tokens - used);
  throw new BudgetExceededError(
    `Token budget ${rule.text} of this key has ${left} tokens left this ${rule.period}; this field may use up to ${tokens}. It starts again at ${resetsAt.toISOString()}.`,
    rule.text,
    rule.tokens,
    used,
    resetsAt,
  );
}

/** Runs `call` under the caller's budgets; `used` reads what it cost from its result (null: not reported). */
export async function withinBudget<T>(
  ctx: Context,
  model: string,
  tokens: number,
  call: () => Promise<T>,
  used: (result: T) => number | null,
): Promise<T> {
  const held = await reserveBudget(ctx, model, tokens);
  let result: T;
  try {
    result = await call();
  } catch (error) {
    await ctx.spending.release(held);
    await ctx.spending.failed(model);
    throw error;
  }
  await ctx.spending.settle(held, used(result));
  return result;
}
