// One way to open the gateway's Redis connection (rate limits, budgets, usage): commands fail fast
// while it is down, so that callers fall back to memory instead of queueing or waiting on it.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

// ioredis loads only when a Redis URL is configured.
const require = createRequire(import.meta.url);

/** The connection, and where it goes as a log line may say it (never the URL's password). */
export function openRedis(url: string): { redis: Redis; where: string } {
  const parsed = new URL(url);
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const redis = new Redis(url, {
    // Stryker disable next-line BooleanLiteral: rejectIfRedisNotReady already keeps the limiters from queueing while Redis is down.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    commandTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  return { redis, where: `${parsed.hostname}:${parsed.port || '6379'}` };
}
