// How a thinking request is spelled for each model family, where a system switch goes, and
// MODEL_THINKING's syntax.
import { describe, expect, it } from 'vitest';
import {
  parseThinkingRules,
  ThinkingMap,
  thinkingBody,
  withSystemSwitch,
} from '../../src/nim/thinking.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

const on = { enabled: true, effort: null, budgetTokens: null };
const off = { enabled: false, effort: null, budgetTokens: null };

describe('the default control by model family', () => {
  const map = new ThinkingMap([]);
  it.each([
    ['nvidia/llama-3.3-nemotron-super-49b-v1.5', 'think-switch', '*nemotron*v1.5*'],
    ['nvidia/llama-3.1-nemotron-nano-8b-v1', 'detailed-thinking', '*nemotron*-v1'],
    ['openai/gpt-oss-120b', 'effort', '*gpt-oss*'],
    ['qwen/qwen3-235b-a22b', 'template', '*'],
    ['nvidia/nemotron-3-nano-30b-a3b', 'template', '*'],
  ])('%s: %s (rule %s)', (model, control, rule) => {
    expect(map.of(model)).toEqual({ control, rule: `default ${rule}` });
  });

  it('tries the operator rules first, in order', () => {
    const map = new ThinkingMap([
      { pattern: 'openai/*', control: 'template' },
      { pattern: 'openai/gpt-oss-20b', control: 'think-switch' },
    ]);
    expect(map.of('openai/gpt-oss-20b')).toEqual({
      control: 'template',
      rule: 'configured openai/*',
    });
    expect(map.of('other/gpt-oss-20b')).toEqual({ control: 'effort', rule: 'default *gpt-oss*' });
  });
});

describe('thinkingBody', () => {
  it('template: enable_thinking, and a budget only when thinking is on and one is given', () => {
    expect(thinkingBody('template', off)).toEqual({
      ok: true,
      system: null,
      fields: { chat_template_kwargs: { enable_thinking: false } },
    });
    expect(thinkingBody('template', on)).toEqual({
      ok: true,
      system: null,
      fields: { chat_template_kwargs: { enable_thinking: true } },
    });
    expect(thinkingBody('template', { ...on, budgetTokens: 64 })).toEqual({
      ok: true,
      system: null,
      fields: { chat_template_kwargs: { enable_thinking: true }, reasoning_budget: 64 },
    });
    // A budget for thinking that is off would be a budget for nothing: not sent.
    expect(thinkingBody('template', { ...off, budgetTokens: 64 })).toEqual({
      ok: true,
      system: null,
      fields: { chat_template_kwargs: { enable_thinking: false } },
    });
  });

  it('effort: reasoning_effort, medium unless given; it cannot be turned off', () => {
    expect(thinkingBody('effort', on)).toEqual({
      ok: true,
      system: null,
      fields: { reasoning_effort: 'medium' },
    });
    expect(thinkingBody('effort', { ...on, effort: 'high' })).toEqual({
      ok: true,
      system: null,
      fields: { reasoning_effort: 'high' },
    });
    expect(thinkingBody('effort', off)).toEqual({
      ok: false,
      field: 'enabled',
      problem: 'this model always reasons (its control is effort): set effort LOW instead',
    });
  });

  it('the system switches: a line and no fields', () => {
    expect(thinkingBody('detailed-thinking', on)).toEqual({
      ok: true,
      fields: {},
      system: 'detailed thinking on',
    });
    expect(thinkingBody('detailed-thinking', off)).toEqual({
      ok: true,
      fields: {},
      system: 'detailed thinking off',
    });
    expect(thinkingBody('think-switch', on)).toEqual({ ok: true, fields: {}, system: '/think' });
    expect(thinkingBody('think-switch', off)).toEqual({
      ok: true,
      fields: {},
      system: '/no_think',
    });
  });

  it('refuses an effort or a budget the control cannot carry, naming the field', () => {
    for (const control of ['template', 'detailed-thinking', 'think-switch'] as const)
      expect(thinkingBody(control, { ...on, effort: 'low' })).toEqual({
        ok: false,
        field: 'effort',
        problem: `this model's thinking control (${control}) takes no effort`,
      });
    for (const control of ['effort', 'detailed-thinking', 'think-switch'] as const)
      expect(thinkingBody(control, { ...on, budgetTokens: 8 })).toEqual({
        ok: false,
        field: 'budgetTokens',
        problem: `this model's thinking control (${control}) takes no budget`,
      });
  });
});

describe('withSystemSwitch', () => {
  const user = { role: 'user' as const, content: 'hi' };
  it('goes first in the first system message, before its text', () => {
    expect(withSystemSwitch([{ role: 'system', content: 'Be brief.' }, user], '/think')).toEqual([
      { role: 'system', content: '/think\n\nBe brief.' },
      user,
    ]);
  });
  it('gets a system message of its own when the first message is not one', () => {
    const later = { role: 'system' as const, content: 'Be brief.' };
    expect(withSystemSwitch([user, later], '/no_think')).toEqual([
      { role: 'system', content: '/no_think' },
      user,
      later,
    ]);
  });
  it('does not write text into a system message made of parts', () => {
    const parts = { role: 'system' as const, content: [{ type: 'text' as const, text: 'x' }] };
    expect(withSystemSwitch([parts as never, user], '/think')).toEqual([
      { role: 'system', content: '/think' },
      parts,
      user,
    ]);
  });
  it('works on no messages at all', () => {
    expect(withSystemSwitch([], '/think')).toEqual([{ role: 'system', content: '/think' }]);
  });
});

describe('MODEL_THINKING', () => {
  it('reads pattern=control;…', () => {
    expect(parseThinkingRules(' a/*=effort ;; b=think-switch ')).toEqual({
      rules: [
        { pattern: 'a/*', control: 'effort' },
        { pattern: 'b', control: 'think-switch' },
      ],
      problems: [],
    });
  });

  it('refuses the start with an unknown or missing control named, and the controls there are', () => {
    let caught: unknown;
    try {
      loadConfig({ NIM_PROXY_BASE_URL: 'http://127.0.0.1:1', MODEL_THINKING: 'x; a=loud; b=' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const use = 'use template, effort, detailed-thinking, think-switch';
    expect((caught as ConfigError).problems).toEqual([
      'MODEL_THINKING: "x" is not <model pattern>=<control>; e.g. MODEL_THINKING=acme/*=effort',
      `MODEL_THINKING: "a=loud": unknown control loud; ${use}; e.g. MODEL_THINKING=acme/*=effort`,
      `MODEL_THINKING: "b=": unknown control (none); ${use}; e.g. MODEL_THINKING=acme/*=effort`,
    ]);
  });
});
