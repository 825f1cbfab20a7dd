// What each model can do. `/v1/models` does not say which model calls tools, reads images or
// reasons, so the gateway keeps a map by model id pattern: the operator's rules
// (MODEL_CAPABILITIES) first, then defaults by family; the first pattern that matches decides.
import { parsePatternRules, PatternMap } from './model-patterns.ts';

export const CAPABILITIES = [
  'tools',
  'parallelToolCalls',
  'reasoning',
  'vision',
  'guidedDecoding',
] as const;
export type Capability = (typeof CAPABILITIES)[number];
export type Capabilities = Readonly<Record<Capability, boolean>>;

export interface CapabilityRule {
  /** A model id pattern: `*` stands for any run of characters (`/` included); case is ignored. */
  pattern: string;
  capabilities: readonly Capability[];
}

const ALL = CAPABILITIES;
const TOOLS = ['tools', 'parallelToolCalls', 'guidedDecoding'] as const;

/**
 * By family, as NIM's 2025–2026 support tables list them (`*` last: every model takes guided
 * decoding). Tool support also needs the NIM started with it: an upstream that was not answers
 * TOOLS_NOT_ENABLED whatever the map says.
 */
const DEFAULT_CAPABILITY_RULES: readonly CapabilityRule[] = [
  // The built-in simulator speaks everything.
  { pattern: 'sim/*', capabilities: ALL },
  {
    pattern: '*llama-4*',
    capabilities: ['tools', 'parallelToolCalls', 'vision', 'guidedDecoding'],
  },
  { pattern: '*-vl*', capabilities: ['vision', 'guidedDecoding'] },
  { pattern: '*vision*', capabilities: ['vision', 'guidedDecoding'] },
  { pattern: '*vila*', capabilities: ['vision', 'guidedDecoding'] },
  {
    pattern: '*nemotron*',
    capabilities: ['tools', 'parallelToolCalls', 'reasoning', 'guidedDecoding'],
  },
  {
    pattern: '*gpt-oss*',
    capabilities: ['tools', 'parallelToolCalls', 'reasoning', 'guidedDecoding'],
  },
  {
    pattern: '*qwen3*',
    capabilities: ['tools', 'parallelToolCalls', 'reasoning', 'guidedDecoding'],
  },
  { pattern: '*deepseek-r1*', capabilities: ['reasoning', 'guidedDecoding'] },
  { pattern: '*qwq*', capabilities: ['reasoning', 'guidedDecoding'] },
  // Early NIM 1.x did not take parallel tool calls on Llama 3.1 and 3.3.
  { pattern: '*llama-3.1*', capabilities: ['tools', 'guidedDecoding'] },
  { pattern: '*llama-3.3*', capabilities: ['tools', 'guidedDecoding'] },
  { pattern: '*mistral*', capabilities: TOOLS },
  { pattern: '*mixtral*', capabilities: TOOLS },
  { pattern: '*qwen*', capabilities: TOOLS },
  { pattern: '*', capabilities: ['guidedDecoding'] },
];

/** What one model can do, and the rule that said so. */
export interface ModelCapabilities extends Capabilities {
  /** The pattern that matched, as `configured <pattern>` or `default <pattern>`. */
  rule: string;
}

export class CapabilityMap {
  readonly #map: PatternMap<Capabilities>;

  constructor(configured: readonly CapabilityRule[]) {
    const set = (r: CapabilityRule) => ({
      pattern: r.pattern,
      value: Object.fromEntries(
        CAPABILITIES.map((c) => [c, r.capabilities.includes(c)]),
      ) as Capabilities,
    });
    this.#map = new PatternMap(configured.map(set), DEFAULT_CAPABILITY_RULES.map(set));
  }

  of(model: string): ModelCapabilities {
    const { value, rule } = this.#map.of(model);
    return { ...value, rule };
  }
}

/** `pattern=cap,cap;pattern=cap;pattern=none` (capabilities by their GraphQL names). */
export function parseCapabilityRules(text: string): {
  rules: CapabilityRule[];
  problems: string[];
} {
  const { rules, problems } = parsePatternRules<Capability[]>(text, 'capabilities', (value) => {
    const names = value
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    const unknown = names.filter(
      (n) => n !== 'none' && !(CAPABILITIES as readonly string[]).includes(n),
    );
    if (unknown.length > 0 || names.length === 0)
      return {
        problem: `${unknown.length > 0 ? `unknown ${unknown.join(', ')}` : 'no capabilities'}; use ${CAPABILITIES.join(', ')} or none`,
      };
    return { value: names.filter((n) => n !== 'none') as Capability[] };
  });
  return { rules: rules.map((r) => ({ pattern: r.pattern, capabilities: r.value })), problems };
}
