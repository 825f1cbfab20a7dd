// Guided decoding as NIM takes it: `structured_outputs` ({choice}, {regex}, {grammar}) at the top
// level for NIM 2.x (vLLM ≥ 0.12, which ignores the old `guided_*` keys), `nvext.guided_choice`,
// `guided_regex`, `guided_grammar` for early NIM 1.x. The output is made to fit: one of the
// choices, a string the regex matches, a string of the grammar's root rule.
import type { ApiVersion } from './sampling.ts';
import { bad, describe, isObject, type Body } from './fields.ts';
import { splitTokens } from './text.ts';

export type Guided =
  | { kind: 'choice'; choices: string[] }
  | { kind: 'regex'; pattern: string }
  | { kind: 'grammar'; grammar: string };

type Random = () => number;

const KINDS = ['choice', 'regex', 'grammar'] as const;

/** The guided decoding a request asks for where its API version reads it, or null. */
export function readGuided(body: Body, apiVersion: ApiVersion): Guided | null {
  if (apiVersion === 2) {
    const value = body['structured_outputs'];
    if (value === undefined || value === null) return null;
    if (!isObject(value))
      throw bad(
        `structured_outputs must be an object, got ${describe(value)}.`,
        'structured_outputs',
      );
    return readKinds(value, (kind) => kind, 'structured_outputs');
  }
  const nvext = body['nvext'];
  if (!isObject(nvext)) return null;
  return readKinds(nvext, (kind) => `guided_${kind}`, 'nvext');
}

function readKinds(
  holder: Body,
  key: (kind: (typeof KINDS)[number]) => string,
  where: string,
): Guided | null {
  const given = KINDS.filter((kind) => holder[key(kind)] != null);
  if (given.length === 0) return null;
  if (given.length > 1)
    throw bad(
      `${where}: only one kind of guided decoding may be set, got ${given.join(', ')}.`,
      where,
    );
  const kind = given[0]!;
  const param = `${where}.${key(kind)}`;
  const value = holder[key(kind)];
  if (kind === 'choice') {
    if (!Array.isArray(value) || value.length === 0 || !value.every((c) => typeof c === 'string'))
      throw bad(`${param} must be a non-empty list of strings.`, param);
    return { kind, choices: value as string[] };
  }
  if (typeof value !== 'string' || value === '')
    throw bad(`${param} must be a non-empty string.`, param);
  if (kind === 'regex') {
    // Fail as vLLM does on a pattern it cannot compile, and on one this simulator cannot generate.
    try {
      matchFor(value, () => 0);
    } catch (error) {
      throw bad(
        `${param} is not a regex the simulator can follow: ${(error as Error).message}`,
        param,
      );
    }
    return { kind, pattern: value };
  }
  if (grammarRoot(value) === null)
    throw bad(
      `${param}: the simulator follows grammars whose root rule is string literals.`,
      param,
    );
  return { kind, grammar: value };
}

/** The tokens of an output that fits. */
export function guidedTokens(guided: Guided, random: Random): string[] {
  if (guided.kind === 'choice')
    return splitTokens(guided.choices[Math.floor(random() * guided.choices.length)]!);
  if (guided.kind === 'regex') return splitTokens(matchFor(guided.pattern, random));
  const literals = grammarRoot(guided.grammar)!;
  return splitTokens(literals[Math.floor(random() * literals.length)]!);
}

/** The literals of `root ::= "a" | "b" …`, or null when the root rule is anything else. */
function grammarRoot(grammar: string): string[] | null {
  const root = /^\s*root\s*::=\s*(.+)$/m.exec(grammar);
  if (!root) return null;
  const alternatives = root[1]!.split('|').map((a) => a.trim());
  const literals = alternatives.map((a) => /^"((?:[^"\\]|\\.)*)"$/.exec(a)?.[1] ?? null);
  return literals.every((l) => l !== null) ? (literals as string[]) : null;
}

// A string a regex matches, for a subset of the syntax: literals and escapes, `.`, classes with
// ranges (negated ones draw from printable ASCII), groups with `|`, and the quantifiers
// ? * + {n} {n,} {n,m} (unbounded ones repeat at most 3 more times). Anchors are accepted.
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i));
const CLASS_ESCAPES: Record<string, string[]> = {
  d: PRINTABLE.filter((c) => /\d/.test(c)),
  w: PRINTABLE.filter((c) => /\w/.test(c)),
  s: [' '],
};

function matchFor(pattern: string, random: Random): string {
  new RegExp(pattern); // a syntax error throws here
  let at = 0;
  const pick = <T>(items: readonly T[]): T => {
    if (items.length === 0) throw new Error('a class that matches nothing');
    return items[Math.floor(random() * items.length)]!;
  };
  const alternation = (): string => {
    const branches = [sequence()];
    while (pattern[at] === '|') {
      at++;
      branches.push(sequence());
    }
    return pick(branches)();
  };
  const sequence = (): (() => string) => {
    const parts: (() => string)[] = [];
    while (at < pattern.length && pattern[at] !== '|' && pattern[at] !== ')') {
      const atom = readAtom();
      const [min, max] = readQuantifier();
      parts.push(() => {
        const times = min + Math.floor(random() * (max - min + 1));
        return Array.from({ length: times }, atom).join('');
      });
    }
    return () => parts.map((part) => part()).join('');
  };
  const readAtom = (): (() => string) => {
    const c = pattern[at++]!;
    if (c === '^' || c === '$') return () => '';
    if (c === '.') return () => pick(PRINTABLE);
    if (c === '(') {
      if (pattern.startsWith('?:', at)) at += 2;
      else if (pattern[at] === '?')
        throw new Error('lookarounds and named groups are not followed');
      const start = at;
      let depth = 0;
      // Re-parse the group's branches lazily from its start each time it is drawn.
      for (; at < pattern.length; at++) {
        if (pattern[at] === '\\') at++;
        else if (pattern[at] === '(') depth++;
        else if (pattern[at] === ')' && depth-- === 0) break;
      }
      const inner = pattern.slice(start, at);
      at++;
      return () => matchFor(inner, random);
    }
    if (c === '[') return readClass();
    if (c === '\\') {
      const e = pattern[at++]!;
      const set = CLASS_ESCAPES[e];
      if (set) return () => pick(set);
      if (/[DWS]/.test(e)) {
        const other = CLASS_ESCAPES[e.toLowerCase()]!;
        return () => pick(PRINTABLE.filter((p) => !other.includes(p)));
      }
      if (/[bB]/.test(e)) return () => '';
      if (/[a-zA-Z0-9]/.test(e)) throw new Error(`the escape \\${e} is not followed`);
      return () => e;
    }
    return () => c;
  };
  const readClass = (): (() => string) => {
    const negated = pattern[at] === '^';
    if (negated) at++;
    const members = new Set<string>();
    let first = true;
    while (at < pattern.length && (pattern[at] !== ']' || first)) {
      first = false;
      let c = pattern[at++]!;
      if (c === '\\') {
        const e = pattern[at++]!;
        const set = CLASS_ESCAPES[e];
        if (set) {
          set.forEach((m) => members.add(m));
          continue;
        }
        c = e;
      }
      if (pattern[at] === '-' && pattern[at + 1] !== ']' && at + 1 < pattern.length) {
        let end = pattern[at + 1]!;
        at += 2;
        if (end === '\\') end = pattern[at++]!;
        for (let code = c.charCodeAt(0); code <= end.charCodeAt(0); code++)
          members.add(String.fromCharCode(code));
      } else members.add(c);
    }
    at++;
    const chosen = negated ? PRINTABLE.filter((p) => !members.has(p)) : [...members];
    return () => pick(chosen);
  };
  const readQuantifier = (): [number, number] => {
    const c = pattern[at];
    let bounds: [number, number] = [1, 1];
    if (c === '?') bounds = [0, 1];
    else if (c === '*') bounds = [0, 3];
    else if (c === '+') bounds = [1, 4];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(at));
      if (!m) return bounds;
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === '' ? min + 3 : Number(m[3]);
      at += m[0].length;
      if (pattern[at] === '?') at++;
      return [min, max];
    } else return bounds;
    at++;
    if (pattern[at] === '?') at++;
    return bounds;
  };
  const result = alternation();
  if (at < pattern.length) throw new Error(`unexpected "${pattern[at]}"`);
  return result;
}
