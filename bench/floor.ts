// The floor under any Node gateway on this machine: a bare node:http server that relays
// POST /v1/completions to the simulator through an undici Pool (parse and re-serialise the JSON,
// nothing else), measured like the gateway. No GraphQL, no Fetch API layer, no plugins.
// With --streams, the same server relays token streams as the gateway's GraphQL-over-SSE events
// (POST /graphql with the bench's completionStream body): each upstream event parsed
// (eventsource-parser, JSON.parse) and written as a typed `next` event, one write per upstream read,
// measured with the bench's stream rows. What any Node relay that reads each token pays.
// With --streams --joined, each read's tokens go out as one event per choice, as the gateway's do.
//   node bench/floor.ts            measure (the relay runs in its own child process)
//   node bench/floor.ts --streams [--joined]  measure the stream rows (burst at 10 clients, a token every 20 ms at 50 and 200)
//   node bench/floor.ts --serve <upstream> [--joined]  the relay itself
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createParser } from 'eventsource-parser';
import { Pool } from 'undici';
import { runLoad } from './load.ts';
import { cpuMs, memory, startSimulatorProcess } from './processes.ts';
import { runStreams } from './streams.ts';
import { directStream, gatewayStream, WORKLOADS } from './workloads.ts';

/** One upstream token stream relayed as GraphQL-over-SSE events of completionStream. */
function relayStream(
  pool: Pool,
  body: string,
  res: import('node:http').ServerResponse,
  joined: boolean,
): void {
  const { variables } = JSON.parse(body) as {
    variables: { model: string; prompt: string; maxTokens: number };
  };
  const upstreamBody = JSON.stringify({
    model: variables.model,
    prompt: variables.prompt,
    max_tokens: variables.maxTokens,
    ignore_eos: true,
    stream: true,
    stream_options: { include_usage: true },
  });
  const next = (event: unknown) =>
    `event: next\ndata: ${JSON.stringify({ data: { completionStream: event } })}\n\n`;
  pool
    .request({
      method: 'POST',
      path: '/v1/completions',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: upstreamBody,
    })
    .then(async (response) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(':\n\n');
      let out = '';
      const text: string[] = [];
      // --joined: this read's texts by choice, sent as one event each when the read is parsed.
      const read = new Map<number, { text: string; finishReason: string | null }>();
      const flush = () => {
        for (const [index, choice] of read)
          out += next({ __typename: 'CompletionChunk', index, ...choice });
        read.clear();
      };
      const parser = createParser({
        onEvent: ({ data }) => {
          if (data === '[DONE]') {
            flush();
            out += next({
              __typename: 'CompletionDone',
              text: text.join(''),
              usage: { completionTokens: text.length },
            });
            return;
          }
          const chunk = JSON.parse(data) as {
            choices: { index: number; text: string; finish_reason: string | null }[];
          };
          for (const choice of chunk.choices) {
            text.push(choice.text);
            if (joined) {
              const earlier = read.get(choice.index);
              read.set(choice.index, {
                text: (earlier?.text ?? '') + choice.text,
                finishReason: choice.finish_reason,
              });
              continue;
            }
            out += next({
              __typename: 'CompletionChunk',
              index: choice.index,
              text: choice.text,
              finishReason: choice.finish_reason,
            });
          }
        },
      });
      const decoder = new TextDecoder();
      for await (const bytes of response.body) {
        parser.feed(decoder.decode(bytes as Buffer, { stream: true }));
        flush();
        if (out !== '') res.write(out);
        out = '';
      }
      res.end('event: complete\ndata:\n\n');
    })
    .catch(() => res.destroy());
}

async function serve(upstream: string, joined: boolean): Promise<void> {
  // Room for the 200-stream row; the unary rows use at most 10.
  const pool = new Pool(upstream, { connections: 1000 });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/graphql')
        return relayStream(pool, Buffer.concat(chunks).toString(), res, joined);
      const body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      pool
        .request({
          method: 'POST',
          path: req.url ?? '/',
          headers: { 'content-type': 'application/json' },
          body,
        })
        .then(async (response) => {
          const text = JSON.stringify(JSON.parse(await response.body.text()));
          res.writeHead(response.statusCode, { 'content-type': 'application/json' }).end(text);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  server.listen(0, '127.0.0.1', () =>
    console.log(`floor relay at http://127.0.0.1:${(server.address() as AddressInfo).port}`),
  );
}

async function measure(): Promise<void> {
  const simulator = await startSimulatorProcess({ tokenDelayMs: 0 });
  const relay = await startRelay(simulator.url);
  const { url, pid } = relay;
  const spec = WORKLOADS.complete.direct;
  try {
    for (const connections of [1, 10]) {
      await runLoad(url, spec, { connections, seconds: 1 });
      const direct = await runLoad(simulator.url, spec, { connections, seconds: 5 });
      const before = cpuMs(pid);
      const relayed = await runLoad(url, spec, { connections, seconds: 5 });
      const cpu = (cpuMs(pid) - before) / relayed.requests;
      console.log(
        `complete, ${connections} client(s): direct ${direct.rps.toFixed(0)} req/s p50 ${direct.latency.p50.toFixed(3)} ms; ` +
          `relay ${relayed.rps.toFixed(0)} req/s p50 ${relayed.latency.p50.toFixed(3)} ms p99 ${relayed.latency.p99.toFixed(3)} ms, ` +
          `added p50 ${(relayed.latency.p50 - direct.latency.p50).toFixed(3)} ms, relay CPU ${cpu.toFixed(3)} ms/req, ` +
          `RSS ${memory(pid).rssMb.toFixed(0)} MB`,
      );
    }
  } finally {
    relay.stop();
    await simulator.stop();
  }
}

/** The stream rows of `npm run bench`, against the simulator and through the floor relay. */
async function measureStreams(joined: boolean): Promise<void> {
  const rows = [
    { delay: 0, clients: 10, seconds: 5 },
    { delay: 20, clients: 50, seconds: 12 },
    { delay: 20, clients: 200, seconds: 12 },
  ];
  const tokens = 256;
  for (const row of rows) {
    const simulator = await startSimulatorProcess({ tokenDelayMs: row.delay });
    const relay = await startRelay(simulator.url, joined);
    try {
      const options = { concurrency: row.clients, expectedTokens: tokens };
      await runStreams(simulator.url, directStream(tokens), { ...options, count: row.clients });
      const direct = await runStreams(simulator.url, directStream(tokens), {
        ...options,
        seconds: row.seconds,
      });
      await runStreams(relay.url, gatewayStream(2), { ...options, count: 500, expectedTokens: 2 });
      await runStreams(relay.url, gatewayStream(tokens), { ...options, count: row.clients * 2 });
      const before = cpuMs(relay.pid);
      const relayed = await runStreams(relay.url, gatewayStream(tokens), {
        ...options,
        seconds: row.seconds,
      });
      const cpu = ((cpuMs(relay.pid) - before) / relayed.tokens) * 1000;
      const ms = (value: number) => value.toFixed(3);
      console.log(
        `stream of ${tokens} tokens${joined ? ' (joined by read)' : ''}, a token every ${row.delay} ms, ${row.clients} clients: ` +
          `direct TTFT p50 ${ms(direct.ttft.p50)} ms, ${direct.tokensPerSecond.toFixed(0)} tokens/s; ` +
          `relay TTFT p50 ${ms(relayed.ttft.p50)} ms (+${ms(relayed.ttft.p50 - direct.ttft.p50)}), ` +
          `${relayed.tokensPerSecond.toFixed(0)} tokens/s, relay CPU ${cpu.toFixed(1)} ms / 1k tokens, ` +
          `RSS ${memory(relay.pid).rssMb.toFixed(0)} MB, errors ${direct.errors}/${relayed.errors}`,
      );
    } finally {
      relay.stop();
      await simulator.stop();
    }
  }
}

async function startRelay(
  upstream: string,
  joined = false,
): Promise<{ url: string; pid: number; stop(): void }> {
  const args = [
    fileURLToPath(import.meta.url),
    '--serve',
    upstream,
    ...(joined ? ['--joined'] : []),
  ];
  const relay = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve) =>
    relay.stdout.on('data', (chunk: Buffer) => {
      const match = /relay at (\S+)/.exec(chunk.toString('utf8'));
      if (match?.[1]) resolve(match[1]);
    }),
  );
  return { url, pid: relay.pid ?? 0, stop: () => relay.kill('SIGTERM') };
}

const [flag, upstream] = process.argv.slice(2);
const joined = process.argv.includes('--joined');
if (flag === '--serve' && upstream !== undefined) await serve(upstream, joined);
else if (flag === '--streams') await measureStreams(joined);
else await measure();
