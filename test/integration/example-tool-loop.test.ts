// The example client's typed tool loop against a gateway on the simulator: it runs the calls the
// model makes, sends the results back and returns the text answer.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { askWithTools, type Tool } from '../../examples/client.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({}, { tokenDelayMs: 0 });
});
afterAll(() => stack.close());

it('runs the tools the model calls, in parallel calls, and returns its answer', async () => {
  const ran: unknown[] = [];
  const tool = (name: string): Tool => ({
    name,
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    run: (args) => {
      ran.push([name, args]);
      return '{"celsius": 12}';
    },
  });
  const answer = await askWithTools(stack.endpoint, MODEL, 'Weather?', [tool('a'), tool('b')]);
  expect(ran).toEqual([
    ['a', { city: expect.any(String) }],
    ['b', { city: expect.any(String) }],
  ]);
  expect(answer).toMatch(/\w/);
  const last = stack.sim.requests.at(-1)!.body as { messages: { role: string }[] };
  expect(last.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool']);
});

it('says so when a call was cut by maxTokens instead of running it', async () => {
  const never: Tool = {
    name: 'long',
    parameters: {
      type: 'object',
      properties: Object.fromEntries(
        Array.from({ length: 80 }, (_, i) => [`p${i}`, { type: 'string' }]),
      ),
      required: Array.from({ length: 80 }, (_, i) => `p${i}`),
    },
    run: () => {
      throw new Error('a cut call must not run');
    },
  };
  expect(await askWithTools(stack.endpoint, MODEL, 'Go', [never])).toBe(
    'the call of long was cut (LENGTH): raise maxTokens',
  );
});
