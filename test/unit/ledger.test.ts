// The ledger of token budgets and usage, in memory. `ledgerBehaviour` is the whole behaviour suite:
// test/integration/ledger-redis.test.ts runs the same cases against a ledger in Redis.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLedger,
  type BudgetBucket,
  type Hold,
  type Ledger,
  type Period,
  type UsageCounts,
  type UsageRow,
} from '../../src/usage/ledger.ts';

export interface LedgerMaker {
  /** A new ledger of the implementation under test, on the clock `now`. */
  make(now: () => number): Ledger;
  /** Empties the store that ledgers share (Redis) before each test. */
  reset?(): Promise<void>;
}

const at = (iso: string) => Date.parse(iso);
const counts = (promptTokens: number, completionTokens: number, requests = 1, errors = 0) => ({
  promptTokens,
  completionTokens,
  requests,
  errors,
});

/** The hold of a reservation that must have succeeded. */
type Reserved = Awaited<ReturnType<Ledger['reserve']>>;

export function held(reserved: Reserved): Hold {
  if (!reserved.ok) throw new Error(`refused by ${reserved.bucket.id} at ${reserved.used} used`);
  return reserved.hold;
}

/** What a bucket has used in the ledger's current period: a reservation it must refuse says so, and takes nothing. */
export async function usedOf(ledger: Ledger, id: string, period: Period = 'day'): Promise<number> {
  const probe = await ledger.reserve([{ id, period, limit: 0 }], 1);
  if (probe.ok) throw new Error(`a limit of 0 admitted a token in ${id}`);
  return probe.used;
}

export function ledgerBehaviour(name: string, maker: LedgerMaker): void {
  describe(`${name} ledger`, () => {
    let clock = 0;
    const open: Ledger[] = [];
    const ledger = () => {
      const made = maker.make(() => clock);
      open.push(made);
      return made;
    };
    beforeEach(async () => {
      clock = at('2026-12-03T12:00:00Z');
      await maker.reset?.();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((made) => made.close()));
    });

    it('reserves across two buckets all or nothing', async () => {
      const l = ledger();
      const key: BudgetBucket = { id: 'web', limit: 100, period: 'day' };
      const model: BudgetBucket = { id: 'web@meta/*', limit: 30, period: 'day' };
      held(await l.reserve([key, model], 20));
      expect(await l.reserve([key, model], 20)).toMatchObject({
        ok: false,
        bucket: model,
        used: 20,
      });
      // The refusal by the second bucket reserved nothing in the first.
      expect(await usedOf(l, 'web')).toBe(20);
      expect(await usedOf(l, 'web@meta/*')).toBe(20);
      held(await l.reserve([key, model], 10));
      expect(await usedOf(l, 'web')).toBe(30);
      expect(await usedOf(l, 'web@meta/*')).toBe(30);
      held(await l.reserve([key], 70));
      expect(await l.reserve([model, key], 1)).toMatchObject({
        ok: false,
        bucket: model,
        used: 30,
      });
    });

    it('refuses with the first bucket over its limit, its used and when its period resets', async () => {
      const l = ledger();
      const day: BudgetBucket = { id: 'k', limit: 100, period: 'day' };
      const month: BudgetBucket = { id: 'k', limit: 50, period: 'month' };
      held(await l.reserve([day, month], 40));
      const refused = await l.reserve([day, month], 20);
      expect(refused).toEqual({
        ok: false,
        bucket: month,
        used: 40,
        resetsAt: new Date('2027-01-01T00:00:00Z'),
      });
      if (!refused.ok) expect(refused.bucket).toBe(month);
      // The same id in another period is another bucket.
      held(await l.reserve([day], 60));
      expect(await usedOf(l, 'k', 'day')).toBe(100);
      expect(await usedOf(l, 'k', 'month')).toBe(40);
      expect(await l.reserve([day, month], 1)).toEqual({
        ok: false,
        bucket: day,
        used: 100,
        resetsAt: new Date('2026-12-04T00:00:00Z'),
      });
      // Both over: the first listed answers.
      expect(await l.reserve([month, day], 11)).toMatchObject({ ok: false, bucket: month });
      expect(await l.reserve([month], 10)).toMatchObject({ ok: true });
    });

    it('counts a bucket listed twice once, at its lowest limit', async () => {
      const l = ledger();
      held(
        await l.reserve(
          [
            { id: 'twice', limit: 100, period: 'day' },
            { id: 'twice', limit: 100, period: 'day' },
          ],
          10,
        ),
      );
      expect(await usedOf(l, 'twice')).toBe(10);
      const tight: BudgetBucket = { id: 'twice', limit: 15, period: 'day' };
      expect(
        await l.reserve([{ id: 'twice', limit: 100, period: 'day' }, tight], 10),
      ).toMatchObject({ ok: false, bucket: tight, used: 10 });
    });

    it('a limit of 0 refuses any tokens; 0 tokens pass with a hold that does nothing', async () => {
      const l = ledger();
      const zero: BudgetBucket = { id: 'zero', limit: 0, period: 'day' };
      expect(await l.reserve([zero], 1)).toMatchObject({ ok: false, bucket: zero, used: 0 });
      const nothing = held(await l.reserve([zero], 0));
      await l.settle(nothing, 50);
      expect(await usedOf(l, 'zero')).toBe(0);
      const full: BudgetBucket = { id: 'full', limit: 10, period: 'day' };
      held(await l.reserve([full], 10));
      const free = held(await l.reserve([full], 0));
      await l.release(free);
      expect(await usedOf(l, 'full')).toBe(10);
      held(await l.reserve([], 5));
    });

    it('settles lower or higher than reserved, and releases', async () => {
      const l = ledger();
      const bucket: BudgetBucket = { id: 'settle', limit: 100, period: 'day' };
      await l.settle(held(await l.reserve([bucket], 60)), 25);
      expect(await usedOf(l, 'settle')).toBe(25);
      const more = held(await l.reserve([bucket], 50));
      expect(await usedOf(l, 'settle')).toBe(75);
      await l.settle(more, 70);
      expect(await usedOf(l, 'settle')).toBe(95);
      // The call was made: what it used counts, past the limit too.
      await l.settle(held(await l.reserve([bucket], 5)), 30);
      expect(await l.reserve([bucket], 1)).toMatchObject({ ok: false, used: 125 });

      const other: BudgetBucket = { id: 'release', limit: 100, period: 'day' };
      const hold = held(await l.reserve([other], 40));
      expect(await usedOf(l, 'release')).toBe(40);
      await l.release(hold);
      expect(await usedOf(l, 'release')).toBe(0);
    });

    it('settles or releases a hold once', async () => {
      const l = ledger();
      const bucket: BudgetBucket = { id: 'once', limit: 100, period: 'day' };
      held(await l.reserve([bucket], 5));
      const hold = held(await l.reserve([bucket], 20));
      await l.settle(hold, 10);
      await l.settle(hold, 50);
      await l.release(hold);
      expect(await usedOf(l, 'once')).toBe(15);
    });

    it('rounds fractional tokens up, and counts negative or NaN tokens as 0', async () => {
      const l = ledger();
      const bucket: BudgetBucket = { id: 'frac', limit: 2, period: 'day' };
      held(await l.reserve([bucket], 0.5));
      expect(await usedOf(l, 'frac')).toBe(1);
      expect(await l.reserve([bucket], 1.2)).toMatchObject({ ok: false, used: 1 });
      held(await l.reserve([bucket], -5));
      held(await l.reserve([bucket], Number.NaN));
      const wide: BudgetBucket = { id: 'frac-settle', limit: 100, period: 'day' };
      await l.settle(held(await l.reserve([wide], 10)), 3.1);
      expect(await usedOf(l, 'frac-settle')).toBe(4);
      await l.settle(held(await l.reserve([wide], 10)), -1);
      expect(await usedOf(l, 'frac-settle')).toBe(4);
      await l.record('frac', 'm', counts(1.5, 0.1, 1, 0));
      expect(await l.usage('frac', 'day')).toEqual([
        { key: 'frac', model: 'm', ...counts(2, 1, 1, 0) },
      ]);
    });

    it('settles into the day it reserved in, across midnight; the new day starts at 0', async () => {
      const l = ledger();
      const bucket: BudgetBucket = { id: 'night', limit: 100, period: 'day' };
      clock = at('2026-12-03T23:59:59Z');
      const late = held(await l.reserve([bucket], 80));
      const released = held(await l.reserve([bucket], 20));
      clock = at('2026-12-04T00:00:01Z');
      expect(await usedOf(l, 'night')).toBe(0);
      held(await l.reserve([bucket], 40));
      await l.settle(late, 50);
      await l.release(released);
      expect(await usedOf(l, 'night')).toBe(40);
      expect(await l.reserve([bucket], 61)).toMatchObject({
        ok: false,
        used: 40,
        resetsAt: new Date('2026-12-05T00:00:00Z'),
      });
      clock = at('2026-12-03T23:59:59.500Z');
      expect(await usedOf(l, 'night')).toBe(50);
    });

    it('resets a month on the 1st, 00:00 UTC', async () => {
      const l = ledger();
      const bucket: BudgetBucket = { id: 'month', limit: 10, period: 'month' };
      clock = at('2026-12-31T23:59:59.999Z');
      held(await l.reserve([bucket], 10));
      expect(await l.reserve([bucket], 1)).toMatchObject({
        ok: false,
        used: 10,
        resetsAt: new Date('2027-01-01T00:00:00Z'),
      });
      expect(l.resetsAt('month')).toEqual(new Date('2027-01-01T00:00:00Z'));
      expect(l.resetsAt('day')).toEqual(new Date('2027-01-01T00:00:00Z'));
      clock = at('2027-01-01T00:00:00Z');
      expect(await usedOf(l, 'month', 'month')).toBe(0);
      held(await l.reserve([bucket], 10));
      expect(l.resetsAt('month')).toEqual(new Date('2027-02-01T00:00:00Z'));
      clock = at('2028-02-28T10:00:00Z');
      expect(l.resetsAt('day')).toEqual(new Date('2028-02-29T00:00:00Z'));
      expect(l.resetsAt('month')).toEqual(new Date('2028-03-01T00:00:00Z'));
      clock = at('2026-01-31T23:59:59.999Z');
      expect(l.resetsAt('month')).toEqual(new Date('2026-02-01T00:00:00Z'));
    });

    it('counts usage per key and model in the day and the month, sorted, for one key or all', async () => {
      const l = ledger();
      await l.record('bob', 'm2', counts(1, 2));
      await l.record('alice', 'm9', counts(5, 6, 1, 1));
      await l.record('bob', 'm1', counts(3, 4));
      await l.record('bob', 'm2', counts(10, 20, 1, 1));
      const bob: UsageRow[] = [
        { key: 'bob', model: 'm1', ...counts(3, 4, 1, 0) },
        { key: 'bob', model: 'm2', ...counts(11, 22, 2, 1) },
      ];
      const all = [{ key: 'alice', model: 'm9', ...counts(5, 6, 1, 1) }, ...bob];
      expect(await l.usage('bob', 'day')).toEqual(bob);
      expect(await l.usage(null, 'day')).toEqual(all);
      expect(await l.usage(null, 'month')).toEqual(all);
      expect(await l.usage('carol', 'day')).toEqual([]);

      clock = at('2026-12-04T08:00:00Z');
      await l.record('carol', 'm1', counts(1, 1));
      expect(await l.usage(null, 'day')).toEqual([
        { key: 'carol', model: 'm1', ...counts(1, 1, 1, 0) },
      ]);
      expect(await l.usage('bob', 'day')).toEqual([]);
      expect(await l.usage('bob', 'month')).toEqual(bob);
      expect((await l.usage(null, 'month')).map((row) => row.key)).toEqual([
        'alice',
        'bob',
        'bob',
        'carol',
      ]);
      clock = at('2027-01-01T00:00:00Z');
      expect(await l.usage(null, 'month')).toEqual([]);
      expect(await l.usage(null, 'day')).toEqual([]);
    });

    it('keeps key names, model ids and bucket ids with odd characters apart', async () => {
      const l = ledger();
      const names = [
        'a:b',
        'a',
        'a:b:c',
        'x/y@z',
        '\u0000',
        '',
        'k\uD800',
        'k\uFFFD',
        'k:',
        'k%3A',
        '%41',
        'A',
        'é',
        '%u00E9',
      ];
      const models = [
        'm:prompt',
        'm',
        'm:prompt:prompt',
        'meta/llama@1',
        'm\u0000prompt',
        '\uDC00',
        '\uFFFD',
        '%41',
        'A',
        '',
      ];
      const expected: UsageRow[] = [];
      for (const [i, key] of names.entries()) {
        for (const [j, model] of models.entries()) {
          const c: UsageCounts = counts(i * 100 + j + 1, j + 1, i + 1, j);
          await l.record(key, model, c);
          expected.push({ key, model, ...c });
        }
      }
      const sorted = (rows: UsageRow[]) =>
        [...rows].sort((a, b) =>
          a.key < b.key
            ? -1
            : a.key > b.key
              ? 1
              : a.model < b.model
                ? -1
                : a.model > b.model
                  ? 1
                  : 0,
        );
      expect(await l.usage(null, 'day')).toEqual(sorted(expected));
      for (const key of names)
        expect(await l.usage(key, 'month')).toEqual(
          sorted(expected.filter((row) => row.key === key)),
        );

      for (const [i, id] of names.entries())
        held(await l.reserve([{ id, limit: 1000, period: 'day' }], i + 1));
      for (const [i, id] of names.entries())
        expect(await usedOf(l, id), JSON.stringify(id)).toBe(i + 1);
    });
  });
}

ledgerBehaviour('memory', { make: (now) => createLedger({ redisUrl: undefined, now }) });

describe('memory ledger', () => {
  it('never goes below 0, even in a period it had already let go', async () => {
    let clock = at('2026-12-03T12:00:00Z');
    const l = createLedger({ redisUrl: undefined, now: () => clock });
    const hold = held(await l.reserve([{ id: 'gone', limit: 100, period: 'day' }], 10));
    clock = at('2026-12-06T12:00:00Z');
    held(await l.reserve([{ id: 'gone', limit: 100, period: 'day' }], 1));
    await l.release(hold);
    expect(await usedOf(l, 'gone')).toBe(1);
    clock = at('2026-12-03T12:00:00Z');
    expect(await usedOf(l, 'gone')).toBe(0);
    await l.close();
  });

  it('has no Redis to warn about', async () => {
    const warnings: string[] = [];
    const l = createLedger({ redisUrl: undefined, logger: { warn: (m) => warnings.push(m) } });
    held(await l.reserve([{ id: 'w', limit: 1, period: 'day' }], 1));
    await l.record('k', 'm', counts(1, 1));
    expect(await l.usage(null, 'day')).toHaveLength(1);
    await l.close();
    expect(warnings).toEqual([]);
  });
});
