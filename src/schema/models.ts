import type { UpstreamHealth } from '../nim/client.ts';
import type { ModelCard } from '../nim/wire.ts';
import { builder } from './builder.ts';
import { ModelCapabilitiesRef } from './capabilities.ts';
import { toGraphQLError } from './errors.ts';
import { ModelKindEnum } from './kinds.ts';

export const ModelRef = builder.objectRef<ModelCard>('Model');

const CircuitStateEnum = builder.enumType('CircuitState', {
  description: "An upstream's circuit breaker.",
  values: {
    CLOSED: { value: 'closed', description: 'Calls flow.' },
    OPEN: { value: 'open', description: 'After a run of failures: calls fail fast until a probe.' },
    HALF_OPEN: { value: 'half-open', description: 'One probe call decides whether it closes.' },
  } as const,
});

const ModelUpstreamRef = builder.objectRef<UpstreamHealth>('ModelUpstream').implement({
  description: 'An upstream that serves a model (UPSTREAMS_FILE), with its health.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Its name in the upstreams file.' }),
    circuit: t.field({
      type: CircuitStateEnum,
      description: 'Its circuit breaker.',
      resolve: (u) => u.circuit,
    }),
    healthy: t.exposeBoolean('healthy', {
      description:
        'Its circuit is not open and its last model list was read: calls are routed to it.',
    }),
  }),
});

ModelRef.implement({
  description: 'A model deployment that NIM Proxy routes to, as listed by `GET /v1/models`.',
  fields: (t) => ({
    id: t.exposeID('id', {
      description:
        'The id to pass as `model`, namespace included (e.g. `meta/llama-3.1-8b-instruct`).',
    }),
    ownedBy: t.exposeString('owned_by', {
      nullable: true,
      description: 'Owner as reported upstream (NIM reports "system"; not meaningful).',
    }),
    created: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the serving NIM started (not a model release date).',
      resolve: (m) => (m.created === null ? null : new Date(m.created * 1000)),
    }),
    root: t.exposeString('root', {
      nullable: true,
      description: 'Base weights: served name or path; for a LoRA adapter, the adapter path.',
    }),
    parentId: t.exposeID('parent', {
      nullable: true,
      description: 'For a LoRA adapter, the id of its base model; null otherwise.',
    }),
    parent: t.field({
      type: ModelRef,
      nullable: true,
      description: 'For a LoRA adapter, its base model when it is listed too.',
      resolve: (m, _args, ctx) => (m.parent ? ctx.models.load(m.parent) : null),
    }),
    capabilities: t.field({
      type: ModelCapabilitiesRef,
      description: 'What it can do: tools, images, reasoning, guided decoding.',
      resolve: (m, _args, ctx) => ctx.capabilities.of(m.id),
    }),
    kind: t.field({
      type: ModelKindEnum,
      description:
        'What it is for: GENERATION (complete, chat), EMBEDDING (embed) or RANKING (rerank). A field given a model of another kind answers WrongModelKindError.',
      resolve: (m, _args, ctx) => ctx.kinds.of(m.id).kind,
    }),
    needsInputType: t.boolean({
      description:
        'An asymmetric embedding model: `embed` must say whether its inputs are queries or passages (`inputType`).',
      resolve: (m, _args, ctx) => ctx.kinds.of(m.id).asymmetric,
    }),
    kindRule: t.string({
      description:
        'The rule that decided `kind`, as `configured <pattern>` or `default <pattern>`.',
      resolve: (m, _args, ctx) => ctx.kinds.of(m.id).rule,
    }),
    upstreams: t.field({
      type: [ModelUpstreamRef],
      description:
        'The upstreams serving it, each with its health; calls go to the healthy ones by weight.',
      resolve: (m, _args, ctx) => ctx.nim.upstreamsOf(m.id),
    }),
    maxModelLength: t.exposeInt('max_model_len', {
      nullable: true,
      description:
        'Context window in tokens (prompt + completion); null when not reported (e.g. adapters).',
    }),
  }),
});

builder.queryFields((t) => ({
  models: t.field({
    type: [ModelRef],
    description:
      'Every model NIM Proxy serves, or those of one kind. Cached process-wide (MODELS_CACHE_TTL_MS).',
    args: {
      kind: t.arg({ type: ModelKindEnum, description: 'Only the models of this kind.' }),
    },
    resolve: async (_root, { kind }, ctx) => {
      try {
        const models = await ctx.models.all();
        return kind == null ? models : models.filter((m) => ctx.kinds.of(m.id).kind === kind);
      } catch (error) {
        throw toGraphQLError(error);
      }
    },
  }),
  model: t.field({
    type: ModelRef,
    nullable: true,
    description: 'One model by id; null when NIM Proxy does not serve it.',
    args: {
      id: t.arg.id({ required: true, description: 'Model id, e.g. `meta/llama-3.1-8b-instruct`.' }),
    },
    resolve: async (_root, { id }, ctx) => {
      try {
        return await ctx.models.load(String(id));
      } catch (error) {
        throw toGraphQLError(error);
      }
    },
  }),
}));
