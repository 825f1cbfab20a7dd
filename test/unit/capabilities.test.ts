// The capability map's defaults by family, the order of rules, and MODEL_CAPABILITIES' syntax.
import { describe, expect, it } from 'vitest';
import { CapabilityMap, parseCapabilityRules } from '../../src/nim/capabilities.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

const has = (map: CapabilityMap, model: string) =>
  Object.entries(map.of(model))
    .filter(([key, value]) => key !== 'rule' && value === true)
    .map(([key]) => key);

describe('default capabilities by model family', () => {
  const map = new CapabilityMap([]);
  it.each([
    ['meta/llama-3.1-8b-instruct', ['tools', 'guidedDecoding']],
    ['meta/llama-3.3-70b-instruct', ['tools', 'guidedDecoding']],
    [
      'meta/llama-4-maverick-17b-128e-instruct',
      ['tools', 'parallelToolCalls', 'vision', 'guidedDecoding'],
    ],
    ['meta/llama-3.2-11b-vision-instruct', ['vision', 'guidedDecoding']],
    ['nvidia/nemotron-nano-12b-v2-vl', ['vision', 'guidedDecoding']],
    [
      'nvidia/llama-3.3-nemotron-super-49b-v1.5',
      ['tools', 'parallelToolCalls', 'reasoning', 'guidedDecoding'],
    ],
    ['openai/gpt-oss-120b', ['tools', 'parallelToolCalls', 'reasoning', 'guidedDecoding']],
    ['deepseek-ai/deepseek-r1-distill-llama-8b', ['reasoning', 'guidedDecoding']],
    ['mistralai/mixtral-8x22b-instruct-v0.1', ['tools', 'parallelToolCalls', 'guidedDecoding']],
    ['someone/unheard-of-7b', ['guidedDecoding']],
  ])('%s: %j', (model, expected) => {
    expect(has(map, model)).toEqual(expected);
  });

  it('names the rule that decided', () => {
    expect(map.of('someone/unheard-of-7b').rule).toBe('default *');
    expect(map.of('meta/llama-3.1-8b-instruct').rule).toBe('default *llama-3.1*');
  });
});

describe('configured rules', () => {
  it('come before the defaults, the first match deciding, * matching across the slash', () => {
    const map = new CapabilityMap([
      { pattern: 'meta/llama-3.1-8b*', capabilities: [] },
      { pattern: '*8b*', capabilities: ['vision'] },
    ]);
    expect(has(map, 'meta/llama-3.1-8b-instruct')).toEqual([]);
    expect(map.of('meta/llama-3.1-8b-instruct').rule).toBe('configured meta/llama-3.1-8b*');
    expect(has(map, 'other/thing-8b')).toEqual(['vision']);
    expect(has(map, 'meta/llama-3.1-70b-instruct')).toEqual(['tools', 'guidedDecoding']);
  });

  it('match the whole id: a pattern is no substring search, and its dots are literal', () => {
    const map = new CapabilityMap([{ pattern: 'a.b', capabilities: ['vision'] }]);
    expect(has(map, 'a.b')).toEqual(['vision']);
    expect(has(map, 'axb')).toEqual(['guidedDecoding']);
    expect(has(map, 'x/a.b')).toEqual(['guidedDecoding']);
    expect(has(map, 'a.b-2')).toEqual(['guidedDecoding']);
  });
});

describe('MODEL_CAPABILITIES', () => {
  it('reads pattern=capabilities;… with none for nothing, spaces and empty entries allowed', () => {
    expect(parseCapabilityRules(' a/*=tools, vision ;; b=none ')).toEqual({
      rules: [
        { pattern: 'a/*', capabilities: ['tools', 'vision'] },
        { pattern: 'b', capabilities: [] },
      ],
      problems: [],
    });
  });

  it('refuses the start with every bad entry named and an example', () => {
    let caught: unknown;
    try {
      loadConfig({
        NIM_PROXY_BASE_URL: 'http://127.0.0.1:1',
        MODEL_CAPABILITIES: 'x; a=flying,tools; =tools; b=',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([
      'MODEL_CAPABILITIES: "x" is not <model pattern>=<capabilities>; e.g. MODEL_CAPABILITIES=sim/*=tools,vision',
      'MODEL_CAPABILITIES: "a=flying,tools": unknown flying; use tools, parallelToolCalls, reasoning, vision, guidedDecoding or none; e.g. MODEL_CAPABILITIES=sim/*=tools,vision',
      'MODEL_CAPABILITIES: "=tools" is not <model pattern>=<capabilities>; e.g. MODEL_CAPABILITIES=sim/*=tools,vision',
      'MODEL_CAPABILITIES: "b=": no capabilities; use tools, parallelToolCalls, reasoning, vision, guidedDecoding or none; e.g. MODEL_CAPABILITIES=sim/*=tools,vision',
    ]);
  });
});
