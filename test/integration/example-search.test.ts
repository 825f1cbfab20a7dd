// The example client's typed search against a gateway on the simulator: the query and passages
// embedded in one operation, ordered by cosine similarity, and reranked best first.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { search } from '../../examples/client.ts';
import { startStack, type Stack } from '../support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

it('orders passages by similarity and by the reranker, the closest first', async () => {
  const passages = [
    'apple pie with cream',
    'the harbor lighthouse at night',
    'a lighthouse keeper',
  ];
  const found = await search(stack.endpoint, 'harbor lighthouse', passages);
  expect(found.bySimilarity[0]).toBe('the harbor lighthouse at night');
  expect(found.bySimilarity.at(-1)).toBe('apple pie with cream');
  // The Search operation's topN: the best two.
  expect(found.reranked.map((r) => r.passage)).toEqual([
    'the harbor lighthouse at night',
    'a lighthouse keeper',
  ]);
  expect(found.reranked[0]!.probability).toBeGreaterThan(found.reranked[1]!.probability);
  // Its two embed fields ask different inputTypes of one model: two calls, not one per text.
  expect(stack.sim.countRequests('/v1/embeddings')).toBe(2);
});
