// Graceful shutdown of the real process: SIGTERM stops accepting, lets open streams finish within
// SHUTDOWN_GRACE_MS, cuts what is left after it, and exits 0.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { subscribe } from '../support/sse.ts';
import { MODEL } from '../support/stack.ts';
import { COMPLETION_STREAM } from '../support/streams.ts';

const root = new URL('../..', import.meta.url).pathname;

async function start(
  env: Record<string, string>,
): Promise<{ child: ChildProcessWithoutNullStreams; endpoint: string; output: string[] }> {
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
  });
  const output: string[] = [];
  const reader = createInterface({ input: child.stdout });
  let endpoint = '';
  for await (const line of reader) {
    output.push(line);
    const match = /http:\/\/localhost:(\d+)\/graphql/.exec(line);
    if (match) {
      endpoint = `http://127.0.0.1:${match[1]}/graphql`;
      break;
    }
  }
  // Keep reading so that the child never blocks on a full pipe.
  reader.on('line', (line) => output.push(line));
  return { child, endpoint, output };
}

/** Streams until the server ends or cuts the stream; collects the event typenames. */
function stream(endpoint: string, maxTokens: number) {
  const events: string[] = [];
  const done = (async () => {
    try {
      const variables = { model: MODEL, prompt: 'Once', maxTokens, options: { ignoreEos: true } };
      for await (const { payload } of subscribe(endpoint, COMPLETION_STREAM, variables)) {
        events.push(payload.data!.completionStream.__typename);
      }
      return 'ended' as const;
    } catch {
      return 'cut' as const;
    }
  })();
  return { events, done };
}

async function refusesConnections(endpoint: string): Promise<boolean> {
  try {
    await fetch(endpoint.replace('/graphql', '/health/live'));
    return false;
  } catch {
    return true;
  }
}

describe('graceful shutdown', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('SIGTERM: stops accepting, the open stream ends with Done within the grace, exit code 0', async () => {
    const started = await start({ SIMULATOR_TOKEN_DELAY_MS: '50', SHUTDOWN_GRACE_MS: '20000' });
    child = started.child;
    const exited = once(child, 'exit');
    const { events, done } = stream(started.endpoint, 60);
    while (events.length === 0) await sleep(10);
    child.kill('SIGTERM');
    let refused = false;
    while (!refused && events.at(-1) !== 'CompletionDone') {
      refused = await refusesConnections(started.endpoint);
      if (!refused) await sleep(20);
    }
    expect(refused).toBe(true);
    expect(await done).toBe('ended');
    expect(events.at(-1)).toBe('CompletionDone');
    expect(events.filter((e) => e === 'CompletionChunk').length).toBe(60);
    const [code] = await exited;
    expect(code).toBe(0);
    expect(started.output.join('\n')).toMatch(/SIGTERM received[\s\S]*stopped/);
  }, 30_000);

  it('a stream longer than the grace is cut when it ends, and the process still exits 0 in time', async () => {
    // The stream would take 200 × 100 ms = 20 s; the grace is 500 ms.
    const started = await start({ SIMULATOR_TOKEN_DELAY_MS: '100', SHUTDOWN_GRACE_MS: '500' });
    child = started.child;
    const exited = once(child, 'exit');
    const { events, done } = stream(started.endpoint, 200);
    while (events.length === 0) await sleep(10);
    const signalled = Date.now();
    child.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(0);
    // Generous bound: the cut comes after 0.5 s, the whole stream would need 20 s.
    expect(Date.now() - signalled).toBeLessThan(12_000);
    // Cut mid-stream: the client sees a broken connection, never a Done.
    expect(await done).toBe('cut');
    expect(events).not.toContain('CompletionDone');
  }, 30_000);

  it('a second SIGINT while draining (Ctrl+C under npm arrives twice) does not cut the open stream short', async () => {
    const started = await start({ SIMULATOR_TOKEN_DELAY_MS: '50', SHUTDOWN_GRACE_MS: '20000' });
    child = started.child;
    const exited = once(child, 'exit');
    const { events, done } = stream(started.endpoint, 40);
    while (events.length === 0) await sleep(10);
    child.kill('SIGINT');
    while (!started.output.some((line) => line.includes('SIGINT received'))) await sleep(10);
    child.kill('SIGINT');
    expect(await done).toBe('ended');
    expect(events.at(-1)).toBe('CompletionDone');
    const [code] = await exited;
    expect(code).toBe(0);
  }, 30_000);
});
