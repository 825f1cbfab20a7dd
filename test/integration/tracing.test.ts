import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../support/sse.ts';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: Record<string, unknown> }[];
}

/** An OTLP/HTTP collector on loopback that keeps every span it receives (JSON encoding). */
async function startCollector(): Promise<{
  url: string;
  spans: OtlpSpan[];
  contentTypes: string[];
  close(): Promise<void>;
}> {
  const spans: OtlpSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      contentTypes.push(String(req.headers['content-type']));
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const resource of body.resourceSpans)
          for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
};

describe('OpenTelemetry spans when OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let stack: Stack;
  beforeAll(async () => {
    collector = await startCollector();
    stack = await startStack(
      { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'gateway-under-test' },
      { tokenDelayMs: 0 },
    );
  });
  afterAll(async () => {
    await collector.close();
  });

  it("exports a server span under the caller's trace, a client span per upstream call, and names it upstream", async () => {
    const { data } = await stack.gql(
      COMPLETE,
      { model: MODEL, prompt: 'Once', maxTokens: 4 },
      {
        headers: {
          'content-type': 'application/json',
          traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
        },
      },
    );
    expect(data!.complete.__typename).toBe('Completion');
    await collect(
      stack.endpoint,
      'subscription Tell { chatStream(model: "sim/lorem-8b-instruct", messages: [{ role: USER, content: "Hi" }], maxTokens: 3) { __typename } }',
      {},
    );
    // Closing the gateway flushes the batch of spans.
    await stack.close();

    const server = collector.spans.find((s) => s.name === 'graphql mutation Complete')!;
    expect(server).toBeDefined();
    expect(server.traceId).toBe(TRACE_ID);
    expect(server.parentSpanId).toBe(CALLER_SPAN);
    expect(server.kind).toBe(2); // SERVER
    expect(attribute(server, 'nim_graphql.outcome')).toBe('ok');
    expect(Number(attribute(server, 'nim_graphql.tokens.completion'))).toBeGreaterThan(0);
    const client = collector.spans.find(
      (s) => s.name === 'POST /v1/completions' && s.parentSpanId === server.spanId,
    )!;
    expect(client).toBeDefined();
    expect(client.kind).toBe(3); // CLIENT
    expect(Number(attribute(client, 'http.response.status_code'))).toBe(200);
    const upstream = stack.sim.requests.find((r) => r.path === '/v1/completions')!;
    expect(upstream.headers.traceparent).toBe(`00-${TRACE_ID}-${server.spanId}-01`);

    const stream = collector.spans.find((s) => s.name === 'graphql subscription Tell')!;
    expect(stream).toBeDefined();
    expect(stream.traceId).not.toBe(TRACE_ID);
    expect(
      collector.spans.some(
        (s) => s.name === 'POST /v1/chat/completions' && s.parentSpanId === stream.spanId,
      ),
    ).toBe(true);
    expect(collector.contentTypes.every((type) => type.startsWith('application/json'))).toBe(true);
  });
});
