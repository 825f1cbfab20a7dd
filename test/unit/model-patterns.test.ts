// The model id pattern rules that MODEL_KINDS, MODEL_CAPABILITIES and MODEL_THINKING share: how an
// entry is read (spaces, empty entries, the first `=` splitting), and how a pattern matches an id.
import { describe, expect, it } from 'vitest';
import { parsePatternRules, PatternMap } from '../../src/nim/model-patterns.ts';

const read = (value: string) => (value === 'bad' ? { problem: 'a bad value' } : { value });

describe('parsePatternRules', () => {
  it('reads pattern=value;… with spaces around either side and empty entries, the first = splitting', () => {
    expect(parsePatternRules(' a/* = one ;; b== two ;', 'value', read)).toEqual({
      rules: [
        { pattern: 'a/*', value: 'one' },
        { pattern: 'b', value: '= two' },
      ],
      problems: [],
    });
  });

  it('names each entry without a pattern, and each the reader refused, keeping the rest', () => {
    expect(parsePatternRules('acme/model; =one; c=bad; d=ok', 'value', read)).toEqual({
      rules: [{ pattern: 'd', value: 'ok' }],
      problems: [
        '"acme/model" is not <model pattern>=<value>',
        '"=one" is not <model pattern>=<value>',
        '"c=bad": a bad value',
      ],
    });
  });
});

describe('PatternMap', () => {
  const map = new PatternMap(
    [
      { pattern: 'acme/*', value: 'configured' },
      { pattern: 'x+y(1).*', value: 'literal' },
    ],
    [
      { pattern: '*embed*', value: 'embedding' },
      { pattern: '*', value: 'anything' },
    ],
  );

  it('tries the configured rules first, then the defaults, the first match deciding, and names it', () => {
    expect(map.of('acme/embed-1')).toEqual({ value: 'configured', rule: 'configured acme/*' });
    expect(map.of('other/embed-1')).toEqual({ value: 'embedding', rule: 'default *embed*' });
    expect(map.of('other/llama')).toEqual({ value: 'anything', rule: 'default *' });
  });

  it('matches the whole id, case ignored, with only * special', () => {
    expect(map.of('ACME/Big').value).toBe('configured');
    expect(map.of('x+y(1).anything/else').value).toBe('literal');
    expect(map.of('X+Y(1).').value).toBe('literal');
    expect(map.of('xxy(1).z').value).toBe('anything');
    expect(map.of('x+y1.z').value).toBe('anything');
    expect(map.of('x+y(1)-z').value).toBe('anything');
    expect(map.of('the/acme/x').value).toBe('anything');
  });
});
