// Facts about models that `/v1/models` does not tell (what a model is for, what it can do, how its
// thinking is switched), kept as rules by model id pattern: the operator's (an environment
// variable of `pattern=value;…`) first, then defaults by family, the first match deciding.

/** A rule: a model id pattern (`*` any run of characters, `/` included; case ignored) and its value. */
export interface PatternRule<T> {
  pattern: string;
  value: T;
}

/** A match, and the rule that made it, as `configured <pattern>` or `default <pattern>`. */
export interface Matched<T> {
  value: T;
  rule: string;
}

/** `*` any run of characters (`/` included), case ignored, the whole id. */
export function globRegExp(pattern: string): RegExp {
  const literal = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${literal.join('.*')}$`, 'i');
}

export class PatternMap<T> {
  readonly #rules: { match: RegExp; matched: Matched<T> }[];

  /** `defaults` end with `*`, so that every id matches one. */
  constructor(configured: readonly PatternRule<T>[], defaults: readonly PatternRule<T>[]) {
    const compile = (origin: string) => (r: PatternRule<T>) => ({
      match: globRegExp(r.pattern),
      matched: { value: r.value, rule: `${origin} ${r.pattern}` },
    });
    this.#rules = [...configured.map(compile('configured')), ...defaults.map(compile('default'))];
  }

  of(model: string): Matched<T> {
    return this.#rules.find((r) => r.match.test(model))!.matched;
  }
}

/**
 * `pattern=value;…`, empty entries and spaces allowed; `read` gives an entry's value, or why it
 * is none in words. Returns the rules, and a problem per bad entry.
 */
export function parsePatternRules<T>(
  text: string,
  what: string,
  read: (value: string) => { value: T } | { problem: string },
): { rules: PatternRule<T>[]; problems: string[] } {
  const rules: PatternRule<T>[] = [];
  const problems: string[] = [];
  for (const entry of text
    .split(';')
    .map((e) => e.trim())
    .filter((e) => e !== '')) {
    const at = entry.indexOf('=');
    const pattern = at < 0 ? '' : entry.slice(0, at).trim();
    if (pattern === '') {
      problems.push(`"${entry}" is not <model pattern>=<${what}>`);
      continue;
    }
    const parsed = read(entry.slice(at + 1).trim());
    if ('problem' in parsed) problems.push(`"${entry}": ${parsed.problem}`);
    else rules.push({ pattern, value: parsed.value });
  }
  return { rules, problems };
}
