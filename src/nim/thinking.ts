// Turning a reasoning model's thinking on or off, with a budget or an effort where it takes one.
// Each family has its own switch, so the gateway keeps a map by model id pattern
// (MODEL_THINKING first, then defaults by family), not code per model.
import { parsePatternRules, PatternMap } from './model-patterns.ts';
import type { ChatMessage } from './wire.ts';

const THINKING_CONTROLS = ['template', 'effort', 'detailed-thinking', 'think-switch'] as const;
/**
 * template: `chat_template_kwargs.enable_thinking` (vLLM, Qwen3, Nemotron 3; a budget as top-level
 * `reasoning_budget`); effort: `reasoning_effort` low/medium/high (gpt-oss); detailed-thinking: a
 * system prompt `detailed thinking on|off` (Nemotron v1); think-switch: `/think` or `/no_think` in
 * the system prompt (Nemotron 1.5).
 */
export type ThinkingControl = (typeof THINKING_CONTROLS)[number];

export interface ThinkingRule {
  pattern: string;
  control: ThinkingControl;
}

const DEFAULT_RULES: readonly ThinkingRule[] = [
  { pattern: '*nemotron*v1.5*', control: 'think-switch' },
  { pattern: '*nemotron*-v1', control: 'detailed-thinking' },
  { pattern: '*gpt-oss*', control: 'effort' },
  { pattern: '*', control: 'template' },
];

export interface Thinking {
  enabled: boolean;
  effort: 'low' | 'medium' | 'high' | null;
  budgetTokens: number | null;
}

/** What a thinking request adds to a chat body, or why this model's control cannot express it. */
export type ThinkingBody =
  | { ok: true; fields: Record<string, unknown>; system: string | null }
  | { ok: false; field: 'enabled' | 'effort' | 'budgetTokens'; problem: string };

export class ThinkingMap {
  readonly #map: PatternMap<ThinkingControl>;

  constructor(configured: readonly ThinkingRule[]) {
    const rule = (r: ThinkingRule) => ({ pattern: r.pattern, value: r.control });
    this.#map = new PatternMap(configured.map(rule), DEFAULT_RULES.map(rule));
  }

  of(model: string): { control: ThinkingControl; rule: string } {
    const { value, rule } = this.#map.of(model);
    return { control: value, rule };
  }
}

export function thinkingBody(control: ThinkingControl, thinking: Thinking): ThinkingBody {
  const { enabled, effort, budgetTokens } = thinking;
  if (effort !== null && control !== 'effort')
    return {
      ok: false,
      field: 'effort',
      problem: `this model's thinking control (${control}) takes no effort`,
    };
  if (budgetTokens !== null && control !== 'template')
    return {
      ok: false,
      field: 'budgetTokens',
      problem: `this model's thinking control (${control}) takes no budget`,
    };
  switch (control) {
    case 'template':
      return {
        ok: true,
        system: null,
        fields: {
          chat_template_kwargs: { enable_thinking: enabled },
          ...(enabled && budgetTokens !== null ? { reasoning_budget: budgetTokens } : {}),
        },
      };
    case 'effort':
      if (!enabled)
        return {
          ok: false,
          field: 'enabled',
          problem: 'this model always reasons (its control is effort): set effort LOW instead',
        };
      return { ok: true, system: null, fields: { reasoning_effort: effort ?? 'medium' } };
    case 'detailed-thinking':
      return { ok: true, fields: {}, system: `detailed thinking ${enabled ? 'on' : 'off'}` };
    case 'think-switch':
      return { ok: true, fields: {}, system: enabled ? '/think' : '/no_think' };
  }
}

/** The messages with the system switch first: in the first system message, or in a new one. */
export function withSystemSwitch(messages: ChatMessage[], line: string): ChatMessage[] {
  const [first, ...rest] = messages;
  if (first?.role === 'system' && typeof first.content === 'string')
    return [{ ...first, content: `${line}\n\n${first.content}` }, ...rest];
  return [{ role: 'system', content: line }, ...messages];
}

/** `pattern=control;…`. */
export function parseThinkingRules(text: string): { rules: ThinkingRule[]; problems: string[] } {
  const { rules, problems } = parsePatternRules<ThinkingControl>(text, 'control', (control) =>
    (THINKING_CONTROLS as readonly string[]).includes(control)
      ? { value: control as ThinkingControl }
      : {
          problem: `unknown control ${control || '(none)'}; use ${THINKING_CONTROLS.join(', ')}`,
        },
  );
  return { rules: rules.map((r) => ({ pattern: r.pattern, control: r.value })), problems };
}
