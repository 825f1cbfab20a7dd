// The browser suite of the React example apps (examples/apollo, examples/urql), which share their
// page: each app is built with Vite, served from 127.0.0.1 on another origin than the gateway's
// (listed in CORS_ORIGINS), and driven in Debian's chromium against a gateway that runs only the
// app's trusted documents (TRUSTED_DOCUMENTS_FILE = the app's manifest). The model list fills, a
// completion and a chat turn show, a chat with a missing model shows the ModelNotFoundError with
// its code and message, a streamed chat arrives token by token over the client's own transport and
// ends with Done, and Stop ends a slow stream and the upstream request. Nothing may leave loopback.
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium, type LoopbackChromium } from './browser.ts';
import { expectQuietPages, watchPages, type PageActivity } from './pages.ts';
import { MODEL, startStack, type Stack } from './stack.ts';
import { buildAndServe, type Site } from './static-site.ts';

const SCREENSHOTS = fileURLToPath(new URL('../e2e/screenshots/', import.meta.url));
const TOKEN_DELAY_MS = 50;
const CHAT_PATH = '/v1/chat/completions';
const MODELS = [
  'sim/lorem-8b-instruct',
  'sim/lorem-70b-instruct',
  'sim/lorem-8b-instruct-lora-pirate',
  'sim/lorem-embedqa-1b',
  'sim/lorem-embed-1b',
  'sim/lorem-rerank-1b',
];

export interface ExampleApp {
  /** The folder under examples/. */
  name: 'apollo' | 'urql';
  /** What the client's subscription request asks for in its Accept header. */
  streamAccept: RegExp;
  /** The Content-Type of the gateway's answer to it. */
  streamContentType: RegExp;
}

/** A request the page sent to the gateway, with the answer's content type once it came. */
interface GatewayCall {
  request: Request;
  body: { query?: unknown; operationName?: string; extensions?: Record<string, any> };
  accept: string;
}

type Json = Record<string, any>;

export function describeExampleApp(app: ExampleApp): void {
  const root = fileURLToPath(new URL(`../../examples/${app.name}/`, import.meta.url));
  const manifestPath = `${root}src/gql/persisted-documents.json`;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, string>;

  /** The manifest hash of an operation, found by its name. */
  const hashOf = (operationName: string): string => {
    const entry = Object.entries(manifest).find(([, text]) =>
      new RegExp(`^(query|mutation|subscription) ${operationName}\\b`).test(text),
    );
    if (!entry) throw new Error(`${operationName} is not in ${manifestPath}`);
    return entry[0];
  };

  describe(`examples/${app.name} in chromium`, () => {
    let site: Site;
    let chromium: LoopbackChromium;
    let stack: Stack;
    let context: BrowserContext;
    let pages: PageActivity;
    let calls: GatewayCall[];

    /** Runs one of the app's documents by hash, as the app does, from the test. */
    async function persisted(operationName: string, variables: Json): Promise<Json> {
      const response = await fetch(stack.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
        },
        body: JSON.stringify({
          operationName,
          variables,
          extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(operationName) } },
        }),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { data: Json }).data;
    }

    beforeAll(async () => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      site = await buildAndServe(root);
      stack = await startStack(
        { CORS_ORIGINS: site.url, TRUSTED_DOCUMENTS_FILE: manifestPath },
        { tokenDelayMs: TOKEN_DELAY_MS },
      );
      chromium = await launchChromium();
    });

    afterAll(async () => {
      await chromium?.close();
      await Promise.all([stack?.close(), site?.close()]);
    });

    beforeEach(async () => {
      stack.sim.reset();
      stack.sim.configure({ tokenDelayMs: TOKEN_DELAY_MS });
      calls = [];
      context = await chromium.browser.newContext({ viewport: { width: 1000, height: 1100 } });
      pages = watchPages(context);
      context.on('request', (request) => {
        if (request.url() === stack.endpoint && request.method() === 'POST') {
          calls.push({
            request,
            body: request.postDataJSON() as GatewayCall['body'],
            accept: request.headers()['accept'] ?? '',
          });
        }
      });
    });

    afterEach(async () => {
      await context.close();
      expectQuietPages(chromium, pages, { page: site.url, gateway: stack.server.url });
      // The bundles are development builds (see buildAndServe): React's and the caches' warnings
      // (a fragment that does not match, data lost in the cache) would show here.
      expect(pages.consoleWarnings, 'console warnings').toEqual([]);
      // Trusted documents: every operation went as a hash of the app's manifest, none as text.
      expect(calls.length).toBeGreaterThan(0);
      for (const { body } of calls) {
        expect(body.query, `${body.operationName} sent its text`).toBeUndefined();
        expect(Object.keys(manifest)).toContain(body.extensions?.persistedQuery?.sha256Hash);
      }
    });

    const text = (page: Page, selector: string) =>
      page
        .locator(selector)
        .textContent()
        .then((t) => t ?? '');
    const streamState = (page: Page) => page.locator('#stream-status').getAttribute('data-state');

    /** Opens the app against the test gateway and waits for the model list. */
    async function openApp(): Promise<Page> {
      const page = await context.newPage();
      const response = await page.goto(
        `${site.url}/?endpoint=${encodeURIComponent(stack.endpoint)}`,
      );
      expect(response?.status()).toBe(200);
      await expect
        .poll(() => page.locator('#models li').count(), { timeout: 5000 })
        .toBe(MODELS.length);
      await expect(page.locator('#endpoint').textContent()).resolves.toBe(stack.endpoint);
      return page;
    }

    it('lists the models, and the gateway runs only the app’s documents', async () => {
      const page = await openApp();
      const ids = await page
        .locator('#models li')
        .evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.id));
      expect(ids).toEqual(MODELS);
      // The first model that generates is the one chosen; the others are offered.
      await expect(page.locator('#model').inputValue()).resolves.toBe(MODEL);
      await expect(page.locator('#model-ids option').count()).resolves.toBe(3);
      await page.screenshot({ path: `${SCREENSHOTS}${app.name}-models.png` });
      expect(calls.map((c) => c.body.operationName)).toContain('Models');

      // Text is refused: only the manifest's hashes run.
      const refused = await stack.gql('{ models { id } }');
      expect(refused.status).toBe(400);
      expect(refused.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_ONLY');
    });

    it('completes a prompt and shows the completion', async () => {
      const page = await openApp();
      const prompt = 'The lighthouse keeper';
      await page.locator('#max-tokens').fill('24');
      await page.locator('#prompt').fill(prompt);
      await page.locator('#complete').click();
      await expect.poll(() => text(page, '#completion'), { timeout: 5000 }).not.toBe('');
      // The simulator is deterministic: the same document by hash gives the same text.
      const expected = await persisted('Complete', { model: MODEL, prompt, maxTokens: 24 });
      expect(expected.complete.__typename).toBe('Completion');
      expect(await text(page, '#completion')).toBe(expected.complete.text);
      expect(await text(page, '#complete-panel .status')).toMatch(/^LENGTH · \d+ tokens$/);
    });

    it('chats, and shows the ModelNotFoundError of a model that does not exist, with its code and message', async () => {
      const page = await openApp();
      await page.locator('#max-tokens').fill('12');
      await page.locator('#chat-message').fill('Hello there.');
      await page.locator('#chat-send').click();
      await expect.poll(() => page.locator('#chat-log li').count(), { timeout: 5000 }).toBe(2);
      const log = await page
        .locator('#chat-log li')
        .evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.role));
      expect(log).toEqual(['USER', 'ASSISTANT']);

      const missing = 'no/such-model';
      await page.locator('#model').fill(missing);
      await page.locator('#chat-message').fill('Are you there?');
      await page.locator('#chat-send').click();
      const error = page.locator('#chat-panel .typed-error');
      await expect
        .poll(() => error.getAttribute('data-typename'), { timeout: 5000 })
        .toBe('ModelNotFoundError');
      const expected = await persisted('Chat', {
        model: missing,
        messages: [{ role: 'USER', content: 'Are you there?' }],
      });
      expect(expected.chat).toMatchObject({
        __typename: 'ModelNotFoundError',
        code: 'MODEL_NOT_FOUND',
      });
      await expect(error.locator('.typename').textContent()).resolves.toBe('ModelNotFoundError');
      await expect(error.locator('.code').textContent()).resolves.toBe('MODEL_NOT_FOUND');
      await expect(error.locator('.message').textContent()).resolves.toBe(expected.chat.message);
      await expect(error.locator('.available').textContent()).resolves.toContain(MODEL);
      // The failed turn is not kept in the conversation.
      await expect(page.locator('#chat-log li').count()).resolves.toBe(2);
      await page.screenshot({ path: `${SCREENSHOTS}${app.name}-model-not-found.png` });
    });

    it(
      'streams a chat token by token over the client’s own transport, and ends with Done',
      { timeout: 20_000 },
      async () => {
        const page = await openApp();
        const message = 'Tell me about the harbor.';
        const maxTokens = 40; // 40 tokens, 50 ms apart: about 2 s of streaming
        await page.locator('#max-tokens').fill(String(maxTokens));
        await page.locator('#stream-message').fill(message);
        await page.locator('#stream').click();

        const samples: { at: number; text: string }[] = [];
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          const [current, state] = await Promise.all([
            text(page, '#stream-output'),
            streamState(page),
          ]);
          if (current !== (samples.at(-1)?.text ?? ''))
            samples.push({ at: Date.now(), text: current });
          if (state !== 'streaming') break;
          if (samples.length === 5)
            await page.screenshot({ path: `${SCREENSHOTS}${app.name}-streaming.png` });
          await page.waitForTimeout(20);
        }
        await page.screenshot({ path: `${SCREENSHOTS}${app.name}-stream-done.png` });
        expect(await streamState(page), await text(page, '#stream-status')).toBe('done');
        expect(await text(page, '#stream-status')).toMatch(
          /^Done: LENGTH · \d+ prompt \+ 40 completion = \d+ tokens$/,
        );

        // The text grew in many steps, each extending the last, over the stream's duration.
        expect(samples.length).toBeGreaterThanOrEqual(8);
        for (let i = 1; i < samples.length; i++) {
          expect(samples[i]!.text.startsWith(samples[i - 1]!.text), `sample ${i}`).toBe(true);
          expect(samples[i]!.text.length).toBeGreaterThan(samples[i - 1]!.text.length);
        }
        expect(samples.at(-1)!.at - samples[0]!.at).toBeGreaterThan(1000);
        // Deterministic: the streamed reply is the one `chat` gives for the same input.
        const expected = await persisted('Chat', {
          model: MODEL,
          messages: [{ role: 'USER', content: message }],
          maxTokens,
        });
        expect(await text(page, '#stream-output')).toBe(expected.chat.reply.content);

        // The client's own transport: its subscription request, and the gateway's answer in kind.
        const streams = calls.filter((c) => c.body.operationName === 'ChatStream');
        expect(streams).toHaveLength(1);
        expect(streams[0]!.accept).toMatch(app.streamAccept);
        const answer = await streams[0]!.request.response();
        expect(answer?.status()).toBe(200);
        expect(answer?.headers()['content-type']).toMatch(app.streamContentType);
        const upstream = stack.sim.requests.filter((r) => r.path === CHAT_PATH);
        expect(upstream.map((r) => [(r.body as Json).stream ?? false, r.abortedAt])).toEqual([
          [true, null], // the stream, run to its end
          [false, null], // the test's own `chat`
        ]);
        await expect(page.locator('#stop').isDisabled()).resolves.toBe(true);
      },
    );

    it('streams that end by themselves leave nothing behind in the page: ten short ones', async () => {
      // The client ends its request once the terminal event is in; an error of that teardown
      // would be an uncaught page error (checked after each test), and it depends on timing.
      const page = await openApp();
      stack.sim.configure({ tokenDelayMs: 5 });
      await page.locator('#max-tokens').fill('3');
      for (let i = 0; i < 10; i++) {
        await page.locator('#stream').click();
        await expect.poll(() => streamState(page), { timeout: 5000 }).toBe('done');
      }
      expect(stack.sim.requests.filter((r) => r.path === CHAT_PATH)).toHaveLength(10);
    });

    it('Stop ends a slow stream early, and the gateway aborts the upstream request', async () => {
      const page = await openApp();
      await page.locator('#max-tokens').fill('400'); // 400 tokens, 50 ms apart: 20 s unless stopped
      await page.locator('#stream').click();
      await expect
        .poll(async () => (await text(page, '#stream-output')).length, { timeout: 5000 })
        .toBeGreaterThan(20);
      expect(await streamState(page)).toBe('streaming');

      const stoppedAt = Date.now();
      await page.locator('#stop').click();
      const aborted = await stack.sim.waitForAbort(CHAT_PATH, 2000);
      expect(aborted.body).toMatchObject({ stream: true, model: MODEL, max_tokens: 400 });
      expect(aborted.finishedAt).toBeNull();
      expect(aborted.abortedAt! - stoppedAt).toBeLessThan(2000);

      expect(await streamState(page)).toBe('stopped');
      const atStop = await text(page, '#stream-output');
      await page.waitForTimeout(300); // six token delays: nothing more may arrive
      expect(await text(page, '#stream-output')).toBe(atStop);
      await expect(page.locator('#stream').isEnabled()).resolves.toBe(true);
      await expect(page.locator('#stop').isDisabled()).resolves.toBe(true);
      await page.screenshot({ path: `${SCREENSHOTS}${app.name}-stopped.png` });
    });
  });
}
