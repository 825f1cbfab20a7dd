// Preloaded into the scale run's gateway (node --expose-gc --import): on SIGUSR2 a full GC, then the
// live heap on stderr, so that memory held per open stream can be told apart from garbage not yet collected.
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  process.stderr.write(`bench-probe ${JSON.stringify({ rss, heapUsed, external })}\n`);
});
