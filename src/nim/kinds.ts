// What each model is for. `/v1/models` lists embedding and ranking NIMs beside the generators
// without saying which is which, so the gateway keeps a map by model id pattern, as it does for
// capabilities: the operator's rules (MODEL_KINDS) first, then defaults by name; the first match decides.
import { parsePatternRules, PatternMap } from './model-patterns.ts';

export const MODEL_KINDS = ['generation', 'embedding', 'ranking'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface KindRule {
  /** A model id pattern: `*` stands for any run of characters (`/` included); case is ignored. */
  pattern: string;
  kind: ModelKind;
  /** An asymmetric embedding model: it must be told whether an input is a query or a passage. */
  asymmetric: boolean;
}

const embedding = (pattern: string, asymmetric: boolean): KindRule => ({
  pattern,
  kind: 'embedding',
  asymmetric,
});

/**
 * By name, as NVIDIA's retrieval NIMs are called (NV-Embed-QA, E5 and the Nemotron embedders
 * want `input_type`; a wrong or missing one silently hurts retrieval). `*` last: everything else generates.
 */
const DEFAULT_KIND_RULES: readonly KindRule[] = [
  { pattern: '*rerank*', kind: 'ranking', asymmetric: false },
  embedding('*embedqa*', true),
  embedding('*nemotron-embed*', true),
  embedding('*nv-embed*', true),
  embedding('*e5-*', true),
  embedding('*embed*', false),
  embedding('*bge-*', false),
  { pattern: '*', kind: 'generation', asymmetric: false },
];

/** What one model is for, and the rule that said so. */
export interface ModelKindInfo {
  kind: ModelKind;
  asymmetric: boolean;
  /** The pattern that matched, as `configured <pattern>` or `default <pattern>`. */
  rule: string;
}

export class ModelKindMap {
  readonly #map: PatternMap<Omit<ModelKindInfo, 'rule'>>;

  constructor(configured: readonly KindRule[]) {
    const rule = (r: KindRule) => ({
      pattern: r.pattern,
      value: { kind: r.kind, asymmetric: r.asymmetric },
    });
    this.#map = new PatternMap(configured.map(rule), DEFAULT_KIND_RULES.map(rule));
  }

  of(model: string): ModelKindInfo {
    const { value, rule } = this.#map.of(model);
    return { ...value, rule };
  }
}

/** `pattern=kind;pattern=embedding,asymmetric`. Returns the rules, or the problems in words. */
export function parseKindRules(text: string): { rules: KindRule[]; problems: string[] } {
  const { rules, problems } = parsePatternRules<Omit<KindRule, 'pattern'>>(
    text,
    'kind',
    (value) => {
      const [kind, ...flags] = value.split(',').map((n) => n.trim().toLowerCase());
      if (!(MODEL_KINDS as readonly (string | undefined)[]).includes(kind))
        return { problem: `the kind must be one of ${MODEL_KINDS.join(', ')}` };
      const unknown = flags.filter((f) => f !== 'asymmetric');
      if (unknown.length > 0 || (flags.length > 0 && kind !== 'embedding'))
        return { problem: 'only an embedding model takes a flag, and the one flag is asymmetric' };
      return { value: { kind: kind as ModelKind, asymmetric: flags.length > 0 } };
    },
  );
  return { rules: rules.map((r) => ({ pattern: r.pattern, ...r.value })), problems };
}
