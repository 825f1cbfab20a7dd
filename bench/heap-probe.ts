// Preloaded by bench/memory.ts (node --expose-gc --import): the V8 heap by space on stderr, on
// SIGUSR1 as it is, on SIGUSR2 after a full GC.
import { getHeapSpaceStatistics } from 'node:v8';

const print = () => {
  const { external, arrayBuffers } = process.memoryUsage();
  const spaces = getHeapSpaceStatistics().map((s) => ({
    name: s.space_name,
    size: s.space_size,
    used: s.space_used_size,
  }));
  process.stderr.write(`bench-heap ${JSON.stringify({ spaces, external, arrayBuffers })}\n`);
};
process.on('SIGUSR1', print);
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  print();
});
