// End to end in a real browser: Debian's chromium, driven by playwright-core, opens the GraphiQL the
// gateway serves, runs the Models query and the ChatStream subscription, and watches the tokens
// arrive; its files come from the gateway compressed, and from the browser's cache on the next visit.
// Nothing leaves loopback: the page may only load from the gateway, and the browser's proxy for
// every other host is a sink on 127.0.0.1 that records each attempt and drops it.
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium, type LoopbackChromium } from '../support/browser.ts';
import { MODEL, startStack, type Stack } from '../support/stack.ts';

const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const TOKEN_DELAY_MS = 60;
const CHAT_PATH = '/v1/chat/completions';

/**
 * The text of the Monaco editor inside `container`: its model (GraphiQL 5 keeps Monaco on
 * globalThis.__MONACO), else the lines Monaco rendered.
 */
function editorText(page: Page, container: string): Promise<string> {
  return page.evaluate((selector) => {
    const host = document.querySelector(`${selector} .monaco-editor`);
    const uri = host?.getAttribute('data-uri');
    const monaco = (globalThis as { __MONACO?: any }).__MONACO;
    const model = uri && monaco ? monaco.editor.getModel(monaco.Uri.parse(uri)) : null;
    if (model) return model.getValue() as string;
    return (host?.querySelector('.view-lines')?.textContent ?? '').replace(/\u00a0/g, ' ');
  }, container);
}

const responseText = (page: Page) => editorText(page, '.graphiql-response');
const operationText = (page: Page) => editorText(page, '.graphiql-query-editor');

interface Pane {
  text: string;
  data: Record<string, any> | null;
  errors: unknown[] | null;
  /** data.chatStream, the subscription event shown, if any. */
  event: Record<string, any> | null;
}

function parsePane(text: string): Pane {
  try {
    const result = JSON.parse(text) as { data?: Record<string, any> | null; errors?: unknown[] };
    return {
      text,
      data: result.data ?? null,
      errors: result.errors ?? null,
      event: result.data?.chatStream ?? null,
    };
  } catch {
    return { text, data: null, errors: null, event: null };
  }
}

/**
 * Polls the response pane until `done` says so; fails at once, with the pane's text, on a GraphQL error.
 * GraphiQL infers the operation name a moment after a tab's document changes: Run pressed before that
 * is answered in the page, without a request, "Cannot infer operation <the previous tab's>". Run is
 * then pressed again (a few times at most).
 */
async function waitForPane(
  page: Page,
  done: (pane: Pane) => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<Pane> {
  const deadline = Date.now() + timeoutMs;
  let reruns = 0;
  for (;;) {
    const pane = parsePane(await responseText(page));
    if (pane.errors !== null && /Cannot infer operation/.test(pane.text) && reruns < 5) {
      reruns += 1;
      await page.waitForTimeout(200);
      await page.locator('.graphiql-execute-button').click();
      continue;
    }
    if (pane.errors !== null)
      throw new Error(`GraphiQL shows an error while waiting for ${what}: ${pane.text}`);
    if (done(pane)) return pane;
    if (Date.now() > deadline)
      throw new Error(
        `no ${what} within ${timeoutMs} ms; the response pane shows: ${pane.text || '(nothing)'}`,
      );
    await page.waitForTimeout(25);
  }
}

async function selectTab(page: Page, title: string, firstLine: string): Promise<void> {
  const active = () => page.locator('.graphiql-tab-active .graphiql-tab-button').textContent();
  // A click while GraphiQL still sets up its editors, or while the draggable tab row still moves,
  // is dropped: click again until the tab is active.
  await expect
    .poll(
      async () => {
        if ((await active()) !== title)
          await page.locator('.graphiql-tab-button', { hasText: new RegExp(`^${title}$`) }).click();
        return active();
      },
      { timeout: 10_000, interval: 250 },
    )
    .toBe(title);
  await expect.poll(() => operationText(page), { timeout: 5000 }).toContain(firstLine);
}

interface Served {
  method: string;
  path: string;
  status: number;
  /** The Accept-Encoding the browser sent. */
  accepted: string;
}

describe('GraphiQL in chromium', () => {
  let stack: Stack;
  /** What the gateway answered, as its HTTP server saw it (cache hits in the browser never get here). */
  let served: Served[] = [];
  /** Content-Encoding of each GraphiQL file the browser's pages received (workers' own requests are not seen here). */
  let encodings: Map<string, string | null>;
  let chromium: LoopbackChromium;
  let context: BrowserContext;
  let origin: string;
  let requested: string[];
  let pageErrors: string[];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // Assigned as each resolves, so that afterAll closes whichever started when the other fails.
    await Promise.all([
      startStack({}, { tokenDelayMs: TOKEN_DELAY_MS }).then((started) => (stack = started)),
      launchChromium().then((launched) => (chromium = launched)),
    ]);
    origin = new URL(stack.endpoint).origin;
    stack.server.server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      response.once('finish', () => {
        served.push({
          method: request.method ?? '',
          path: request.url ?? '',
          status: response.statusCode,
          accepted: request.headers['accept-encoding'] ?? '',
        });
      });
    });
  });

  afterAll(async () => {
    await Promise.all([chromium?.close(), stack?.close()]);
  });

  beforeEach(async () => {
    stack.sim.reset();
    stack.sim.configure({ tokenDelayMs: TOKEN_DELAY_MS });
    requested = [];
    pageErrors = [];
    served = [];
    encodings = new Map();
    context = await chromium.browser.newContext({ viewport: { width: 1400, height: 900 } });
    context.on('request', (request) => requested.push(request.url()));
    context.on('response', (response) => {
      // A response still arriving when the test closes its page has no headers left to read.
      if (new URL(response.url()).pathname.startsWith('/graphiql/')) {
        response.headerValue('content-encoding').then(
          (encoding) => encodings.set(response.url(), encoding),
          () => undefined,
        );
      }
    });
    context.on('weberror', (error) => pageErrors.push(error.error().message));
  });

  afterEach(async () => {
    await context.close();
    // Every request the pages and their workers made went to the gateway (blob: URLs are Monaco's workers).
    const elsewhere = requested.filter(
      (url) => !url.startsWith(`${origin}/`) && !/^(blob|data):/.test(url),
    );
    expect(elsewhere, 'requests GraphiQL made to anything but the gateway').toEqual([]);
    expect(
      chromium.unexpectedAttempts(),
      'connections the browser tried to open to non-loopback hosts',
    ).toEqual([]);
  });

  async function openGraphiQL(): Promise<Page> {
    const page = await context.newPage();
    const response = await page.goto(stack.endpoint);
    expect(response?.status()).toBe(200);
    await page.locator('.graphiql-execute-button').waitFor();
    await page.locator('.graphiql-response .monaco-editor').waitFor();
    // No script, style, image or preconnect/prefetch hint points off the gateway (hints make no request event).
    const foreign = await page.evaluate((own) => {
      const urls = [...document.querySelectorAll<HTMLElement>('[src], link[href]')].map(
        (element) => element.getAttribute('src') ?? element.getAttribute('href') ?? '',
      );
      return urls.filter(
        (url) => !/^(blob|data):/.test(url) && new URL(url, document.baseURI).origin !== own,
      );
    }, origin);
    expect(foreign, 'references in the GraphiQL page to other origins').toEqual([]);
    return page;
  }

  it(
    'runs Models, then shows a ChatStream answer arriving token by token, ending with ChatDone',
    { timeout: 30_000 },
    async () => {
      const page = await openGraphiQL();

      await selectTab(page, 'Models', 'query Models');
      await page.locator('.graphiql-execute-button').click();
      const models = await waitForPane(
        page,
        (pane) => pane.data?.models !== undefined,
        'the Models result',
      );
      expect(models.data!.models.map((model: { id: string }) => model.id)).toContain(MODEL);
      await page.screenshot({ path: `${SCREENSHOTS}graphiql-models.png` });

      await selectTab(page, 'ChatStream', 'subscription ChatStream');
      await page.locator('.graphiql-execute-button').click();

      // GraphiQL shows each subscription event as it arrives: record every state of the pane until ChatDone.
      const states: { at: number; pane: Pane }[] = [];
      const done = await waitForPane(
        page,
        (pane) => {
          if (pane.text !== states.at(-1)?.pane.text) states.push({ at: Date.now(), pane });
          if (pane.event !== null && !/^Chat(Chunk|Done)$/.test(pane.event.__typename)) {
            throw new Error(`unexpected stream event: ${pane.text}`);
          }
          return pane.event?.__typename === 'ChatDone';
        },
        'ChatDone',
        15_000,
      );
      await page.screenshot({ path: `${SCREENSHOTS}graphiql-chat-stream-done.png` });

      const chunks = states.filter((s) => s.pane.event?.__typename === 'ChatChunk');
      // 64 tokens 60 ms apart: a pane that only filled in at the end would show one or two states.
      expect(chunks.length, 'distinct ChatChunk states seen in the pane').toBeGreaterThanOrEqual(
        10,
      );
      expect(
        states.at(-1)!.at - chunks[0]!.at,
        'ms from the first chunk shown to ChatDone',
      ).toBeGreaterThan(1000);
      // The chunks seen are, in order, pieces of the final answer.
      const reply: string = done.event!.reply.content;
      let cursor = 0;
      for (const chunk of chunks) {
        const content: string = chunk.pane.event!.content;
        const found = reply.indexOf(content, cursor);
        expect(
          found,
          `chunk ${JSON.stringify(content)} in the reply after offset ${cursor}`,
        ).toBeGreaterThanOrEqual(0);
        cursor = found + content.length;
      }
      expect(done.event!.usage.completionTokens).toBeGreaterThan(0);
      expect(
        stack.sim.requests.filter((r) => r.path === CHAT_PATH).map((r) => r.abortedAt),
      ).toEqual([null]);

      // The tool round trip's first turn: the model asks for the tool, its arguments parsed.
      await selectTab(page, 'ChatTools', 'mutation ChatTools');
      await page.locator('.graphiql-execute-button').click();
      const tools = await waitForPane(
        page,
        (pane) => pane.data?.chat?.reply !== undefined,
        'the ChatTools answer',
      );
      expect(tools.data!.chat.choices).toEqual([{ finishReason: 'TOOL_CALLS' }]);
      expect(tools.data!.chat.reply.toolCalls[0]).toMatchObject({
        name: 'get_weather',
        arguments: { city: expect.any(String) },
        complete: true,
      });
      await page.screenshot({ path: `${SCREENSHOTS}graphiql-tool-calls.png` });
      expect(pageErrors).toEqual([]);
    },
  );

  it(
    'loads its script, style and workers from the gateway, compressed, and from the browser cache on the next visit',
    { timeout: 30_000 },
    async () => {
      const assets = () => served.filter((answer) => answer.path.startsWith('/graphiql/'));
      const pageLoads = () =>
        served.filter((answer) => answer.method === 'GET' && answer.path === '/graphql');
      const workers = () =>
        new Set(
          assets()
            .filter((answer) => /\.worker\./.test(answer.path))
            .map((answer) => answer.path),
        );
      const first = await openGraphiQL();
      // Monaco starts its workers (editor, GraphQL, JSON) once the editors are up.
      await expect.poll(() => workers().size, { timeout: 10_000 }).toBe(3);
      // The page registers a worker a moment after its script was fetched.
      await expect
        .poll(() => first.workers().map((worker) => new URL(worker.url()).origin), {
          timeout: 10_000,
        })
        .toEqual([origin, origin, origin]);
      const loaded = assets();
      expect(loaded.map((answer) => answer.path.replace(/\.[0-9a-f]{16}\./, '.'))).toEqual(
        expect.arrayContaining([
          '/graphiql/graphiql.js',
          '/graphiql/graphiql.css',
          '/graphiql/editor.worker.js',
          '/graphiql/graphql.worker.js',
          '/graphiql/json.worker.js',
        ]),
      );
      for (const answer of loaded) expect(answer.status, answer.path).toBe(200);
      console.log(
        `chromium's Accept-Encoding: ${loaded[0]!.accepted}; GraphiQL's files came as ${JSON.stringify(Object.fromEntries(encodings))}`,
      );
      for (const path of ['graphiql.js', 'graphiql.css']) {
        const [, encoding] =
          [...encodings].find(
            ([url]) =>
              new URL(url).pathname.replace(/\.[0-9a-f]{16}\./, '.') === `/graphiql/${path}`,
          ) ?? [];
        expect(['br', 'gzip'], `${path} content-encoding`).toContain(encoding);
      }
      expect(pageLoads().map((answer) => answer.status)).toEqual([200]);
      await first.close();

      served = [];
      const second = await openGraphiQL();
      // Up and running again: Monaco's three workers started, from the cache.
      await expect.poll(() => second.workers().length, { timeout: 10_000 }).toBe(3);
      // The page (no-cache, a few KiB) is asked for again; its files come from the cache without a request.
      expect(pageLoads().length).toBe(1);
      expect(assets(), 'asset requests on the second visit').toEqual([]);
      expect(pageErrors).toEqual([]);
    },
  );

  it(
    'aborts the upstream request when the page is closed mid-stream',
    { timeout: 30_000 },
    async () => {
      const page = await openGraphiQL();
      await selectTab(page, 'ChatStream', 'subscription ChatStream');
      await page.locator('.graphiql-execute-button').click();
      await waitForPane(page, (pane) => pane.event?.__typename === 'ChatChunk', 'a ChatChunk');
      await page.screenshot({ path: `${SCREENSHOTS}graphiql-chat-stream-before-close.png` });

      const closedAt = Date.now();
      await page.close();
      const aborted = await stack.sim.waitForAbort(CHAT_PATH, 2000);
      expect(aborted.body).toMatchObject({ stream: true, model: MODEL });
      expect(aborted.finishedAt).toBeNull();
      expect(aborted.abortedAt!).toBeGreaterThanOrEqual(closedAt);
      expect(pageErrors).toEqual([]);
    },
  );
});
