// The `usage` query: tokens, requests and errors per client key and model this day or month,
// counted from what the upstreams reported (the calling key's; every key's for an admin key).
import type { UsageRow } from '../usage/ledger.ts';
import { builder } from './builder.ts';
import { toGraphQLError } from './errors.ts';
import { ForbiddenError } from './failures.ts';

const UsagePeriodEnum = builder.enumType('UsagePeriod', {
  description: 'A UTC calendar day or month.',
  values: {
    DAY: { value: 'day', description: 'Since 00:00 UTC today.' },
    MONTH: { value: 'month', description: 'Since the 1st of this month, 00:00 UTC.' },
  } as const,
});

const KeyUsageRef = builder.objectRef<UsageRow>('KeyUsage').implement({
  description: "One client key's use of one model in the period.",
  fields: (t) => ({
    key: t.exposeString('key', {
      description:
        'The key by its name (`name:key` in GATEWAY_API_KEYS), by 12 hex digits of its SHA-256 when unnamed, or `ip:<address>` without client auth. Never the key.',
    }),
    model: t.exposeString('model', { description: 'The model id called.' }),
    promptTokens: t.exposeInt('promptTokens', {
      description: 'Input tokens, as the upstream reported them (estimated when it did not).',
    }),
    completionTokens: t.exposeInt('completionTokens', {
      description: 'Generated tokens, as the upstream reported them.',
    }),
    requests: t.exposeInt('requests', { description: 'Upstream calls, failed ones included.' }),
    errors: t.exposeInt('errors', { description: 'Calls that failed.' }),
  }),
});

const UsageReportRef = builder
  .objectRef<{ period: 'day' | 'month'; resetsAt: Date; rows: UsageRow[] }>('UsageReport')
  .implement({
    description: 'Usage in the current day or month.',
    fields: (t) => ({
      period: t.field({ type: UsagePeriodEnum, resolve: (r) => r.period }),
      resetsAt: t.expose('resetsAt', {
        type: 'DateTime',
        description: 'When the period ends (and day or month budgets start again at 0).',
      }),
      rows: t.field({
        type: [KeyUsageRef],
        description: 'One row per key and model, by key then model.',
        resolve: (r) => r.rows,
      }),
    }),
  });

builder.queryField('usage', (t) =>
  t.field({
    type: UsageReportRef,
    description:
      "Tokens, requests and errors per key and model this day or month: the calling key's, or with `allKeys` every key's (only for the keys GATEWAY_ADMIN_KEYS names; FORBIDDEN otherwise). Shared by every replica when REDIS_URL is set.",
    args: {
      period: t.arg({ type: UsagePeriodEnum, defaultValue: 'day', required: true }),
      allKeys: t.arg.boolean({ defaultValue: false, required: true }),
    },
    resolve: async (_root, { period, allKeys }, ctx) => {
      try {
        if (allKeys && !ctx.spending.admin)
          throw new ForbiddenError(
            "Only the keys GATEWAY_ADMIN_KEYS names may read every key's usage; leave allKeys out for this key's own.",
          );
        const rows = await ctx.spending.usage(period, allKeys);
        return { period, resetsAt: ctx.spending.resetsAt(period), rows };
      } catch (error) {
        throw toGraphQLError(error);
      }
    },
  }),
);
