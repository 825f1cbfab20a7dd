// The kind map's defaults by name, MODEL_KINDS before them, and MODEL_KINDS' syntax.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { ModelKindMap, parseKindRules } from '../../src/nim/kinds.ts';

describe('default kinds by name', () => {
  const map = new ModelKindMap([]);
  it.each([
    ['nvidia/llama-3.2-nv-embedqa-1b-v2', 'embedding', true],
    ['nvidia/nv-embedqa-e5-v5', 'embedding', true],
    ['nvidia/llama-nemotron-embed-1b-v2', 'embedding', true],
    ['nvidia/nv-embed-v1', 'embedding', true],
    ['intfloat/multilingual-e5-large', 'embedding', true],
    ['snowflake/arctic-embed-l', 'embedding', false],
    ['baai/bge-m3', 'embedding', false],
    ['nvidia/llama-3.2-nv-rerankqa-1b-v2', 'ranking', false],
    ['nvidia/llama-nemotron-rerank-1b-v2', 'ranking', false],
    ['baai/bge-reranker-v2-m3', 'ranking', false],
    ['meta/llama-3.1-8b-instruct', 'generation', false],
    ['nvidia/llama-3.3-nemotron-super-49b-v1.5', 'generation', false],
    ['qwen/qwen2.5-7b-instruct', 'generation', false],
  ])('%s: %s (asymmetric: %s)', (model, kind, asymmetric) => {
    expect(map.of(model)).toMatchObject({ kind, asymmetric });
  });
});

describe('MODEL_KINDS', () => {
  it('goes before the defaults, the first match deciding', () => {
    const { rules, problems } = parseKindRules(
      'acme/*-vec*=embedding,asymmetric; acme/*=ranking ;nvidia/*embedqa*=embedding',
    );
    expect(problems).toEqual([]);
    const map = new ModelKindMap(rules);
    expect(map.of('acme/big-vec-2')).toEqual({
      kind: 'embedding',
      asymmetric: true,
      rule: 'configured acme/*-vec*',
    });
    expect(map.of('ACME/x')).toEqual({
      kind: 'ranking',
      asymmetric: false,
      rule: 'configured acme/*',
    });
    expect(map.of('nvidia/nv-embedqa-e5-v5')).toMatchObject({ asymmetric: false });
    expect(map.of('meta/llama-3.1-8b-instruct').rule).toBe('default *');
  });

  it('reads a kind and its flag in any case, with spaces around them', () => {
    expect(parseKindRules('a/* = Embedding , ASYMMETRIC ; b/*=RANKING')).toEqual({
      rules: [
        { pattern: 'a/*', kind: 'embedding', asymmetric: true },
        { pattern: 'b/*', kind: 'ranking', asymmetric: false },
      ],
      problems: [],
    });
  });

  it('names each bad entry', () => {
    expect(() =>
      loadConfig({
        MODEL_KINDS: 'acme/*=vector;=ranking;x/*=ranking,asymmetric;y/*=embedding,fast',
      }),
    ).toThrow(ConfigError);
    expect(
      parseKindRules('acme/*=vector;=ranking;x/*=ranking,asymmetric;y/*=embedding,fast').problems,
    ).toEqual([
      '"acme/*=vector": the kind must be one of generation, embedding, ranking',
      '"=ranking" is not <model pattern>=<kind>',
      '"x/*=ranking,asymmetric": only an embedding model takes a flag, and the one flag is asymmetric',
      '"y/*=embedding,fast": only an embedding model takes a flag, and the one flag is asymmetric',
    ]);
  });
});
