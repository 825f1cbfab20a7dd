// What a model can do, as the gateway's capability map says (MODEL_CAPABILITIES, then defaults).
import { CAPABILITIES, type Capability, type ModelCapabilities } from '../nim/capabilities.ts';
import { builder } from './builder.ts';

const DESCRIPTIONS: Record<Capability, string> = {
  tools: 'Calls tools (functions) the request declares.',
  parallelToolCalls: 'Calls several tools in one answer.',
  reasoning: 'Thinks before it answers, its reasoning apart from the answer.',
  vision: 'Reads images in the messages.',
  guidedDecoding: 'Follows a CHOICE, REGEX or GRAMMAR responseFormat.',
};

const SCREAMING = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

export const CapabilityEnum = builder.enumType('ModelCapability', {
  description: 'Something a model can do.',
  values: Object.fromEntries(
    CAPABILITIES.map((c) => [SCREAMING(c), { value: c, description: DESCRIPTIONS[c] }]),
  ) as Record<string, { value: Capability; description: string }>,
});

export const ModelCapabilitiesRef = builder
  .objectRef<ModelCapabilities>('ModelCapabilities')
  .implement({
    description:
      "What a model can do. NIM's model list does not say: the gateway's map by model id pattern does (MODEL_CAPABILITIES first, then defaults by family). A request for something the model cannot do is refused with UnsupportedByModelError before any upstream call.",
    fields: (t) => ({
      ...(Object.fromEntries(
        CAPABILITIES.map((c) => [c, t.exposeBoolean(c, { description: DESCRIPTIONS[c] })]),
      ) as Record<Capability, ReturnType<typeof t.exposeBoolean>>),
      rule: t.exposeString('rule', {
        description: 'The rule that decided, as `configured <pattern>` or `default <pattern>`.',
      }),
    }),
  });
