// Server-sent events as NIM sends them, paced per token, with the stream faults a test can ask for.
import { once } from 'node:events';
import { defaultMessage, errorBody } from './errors.ts';
import { dropConnection, padJson, sleep, untilAborted, type Exchange } from './exchange.ts';
import { DEFAULT_AFTER_TOKENS, type Fault } from './faults.ts';
import { streamRounds, usageChunk, type Plan } from './generation.ts';

const DONE = 'data: [DONE]\n\n';

function event(json: string): string {
  return `data: ${json}\n\n`;
}

/** Writes, then waits for the socket to drain when the client reads slower than we send. */
async function write(exchange: Exchange, text: string): Promise<void> {
  exchange.signal.throwIfAborted();
  if (!exchange.res.write(text)) await once(exchange.res, 'drain', { signal: exchange.signal });
}

function finish(exchange: Exchange, text = ''): void {
  if (!exchange.signal.aborted) exchange.res.end(text);
}

/** Applies a mid-stream fault at its trigger point; `next` is the event that would have come next. */
async function misbehave(exchange: Exchange, fault: Fault, next: string): Promise<void> {
  if (fault.drop === 'mid-body') {
    dropConnection(exchange);
    return;
  }
  switch (fault.stream) {
    case 'stall':
      return untilAborted(exchange.signal);
    case 'malformed':
      return finish(exchange, `data: {not json\n\n${DONE}`);
    case 'no-done':
      return finish(exchange);
    case 'error-event': {
      const status = fault.status ?? 500;
      const error = errorBody(
        fault.errorStyle ?? 'nested',
        status,
        fault.message ?? defaultMessage(status),
        null,
      );
      return finish(exchange, event(JSON.stringify(error)) + DONE);
    }
    case 'cut':
      return finish(exchange, next.slice(0, Math.max(1, Math.floor(next.length / 2))));
    case undefined:
      return;
  }
}

/** Streams a planned generation: headers at once, one token per chunk, usage if asked, then [DONE]. */
export async function streamPlan(
  exchange: Exchange,
  plan: Plan,
  tokenDelayMs: number,
): Promise<void> {
  const { res, fault } = exchange;
  if (exchange.signal.aborted) return;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream',
    'Cache-Control': 'no-cache',
    Connection: 'keep-alive',
  });
  res.flushHeaders();
  const trigger =
    fault !== null && (fault.stream !== undefined || fault.drop === 'mid-body') ? fault : null;
  const triggerAfter = fault?.afterTokens ?? DEFAULT_AFTER_TOKENS;
  let padding = fault?.oversizedBytes;
  let tokensSent = 0;

  await sleep(fault?.firstTokenDelayMs ?? 0, exchange.signal);
  const rounds = streamRounds(plan);
  let contentDelay = fault?.firstContentDelayMs;
  for (const [step, round] of rounds.entries()) {
    if (step > 0) await sleep(tokenDelayMs, exchange.signal);
    if (contentDelay !== undefined && round.some((event) => event.token)) {
      await sleep(contentDelay, exchange.signal);
      contentDelay = undefined;
    }
    for (const { chunk, token } of fault?.choicesReversed ? [...round].reverse() : round) {
      let json = JSON.stringify(chunk);
      if (padding !== undefined) {
        json = padJson(json, padding);
        padding = undefined;
      }
      if (trigger !== null && token && tokensSent === triggerAfter)
        return misbehave(exchange, trigger, event(json));
      await write(exchange, event(json));
      if (token) tokensSent += 1;
    }
  }
  const tail = plan.input.includeUsage ? event(JSON.stringify(usageChunk(plan))) : DONE;
  if (trigger !== null) return misbehave(exchange, trigger, tail);
  if (plan.input.includeUsage) await write(exchange, tail);
  if (fault?.endDelayMs !== undefined) {
    await write(exchange, DONE);
    await sleep(fault.endDelayMs, exchange.signal);
    return finish(exchange);
  }
  finish(exchange, DONE);
}
