// End to end in a real browser: examples/web is built with Vite, served from 127.0.0.1 by a tiny
// static server (another origin than the gateway's, listed in CORS_ORIGINS), and driven in
// Debian's chromium with playwright-core: the model list fills, a completion streams in token by
// token and ends with Done, a typed error shows its code, and Stop aborts the upstream request.
// Nothing may leave loopback: the browser's proxy is a sink that records every attempt.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchChromium, type LoopbackChromium } from '../support/browser.ts';
import { expectQuietPages, watchPages, type PageActivity } from '../support/pages.ts';
import { COMPLETE, MODEL, startStack, type Stack } from '../support/stack.ts';
import { buildAndServe, type Site } from '../support/static-site.ts';

const WEB_ROOT = fileURLToPath(new URL('../../examples/web/', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));
const TOKEN_DELAY_MS = 50;
const COMPLETIONS_PATH = '/v1/completions';

describe('examples/web in chromium', () => {
  let site: Site;
  let chromium: LoopbackChromium;
  let stack: Stack;
  let context: BrowserContext;
  let pages: PageActivity;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    site = await buildAndServe(WEB_ROOT);
    // The page is served from another origin than the gateway's: only a listed origin gets CORS headers.
    stack = await startStack({ CORS_ORIGINS: site.url }, { tokenDelayMs: TOKEN_DELAY_MS });
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await chromium?.close();
    await Promise.all([stack?.close(), site?.close()]);
  });

  beforeEach(async () => {
    stack.sim.reset();
    stack.sim.configure({ tokenDelayMs: TOKEN_DELAY_MS });
    context = await chromium.browser.newContext({ viewport: { width: 1000, height: 760 } });
    pages = watchPages(context);
  });

  afterEach(async () => {
    await context.close();
    expectQuietPages(chromium, pages, { page: site.url, gateway: stack.server.url });
  });

  const output = (page: Page) =>
    page
      .locator('#output')
      .textContent()
      .then((text) => text ?? '');
  const state = (page: Page) => page.locator('#status').getAttribute('data-state');
  const status = (page: Page) => page.locator('#status').textContent();

  /** Opens the page against the test gateway and waits for the model list. */
  async function openPage(): Promise<Page> {
    const page = await context.newPage();
    const response = await page.goto(`${site.url}/?endpoint=${encodeURIComponent(stack.endpoint)}`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.locator('#model option').count(), { timeout: 5000 }).toBe(3);
    await expect(page.locator('#endpoint').textContent()).resolves.toBe(stack.endpoint);
    await expect(page.locator('#stream').isEnabled()).resolves.toBe(true);
    return page;
  }

  async function fill(page: Page, prompt: string, maxTokens: number): Promise<void> {
    await page.locator('#model').selectOption(MODEL);
    await page.locator('#prompt').fill(prompt);
    await page.locator('#max-tokens').fill(String(maxTokens));
  }

  it(
    'lists the models, streams a completion token by token and ends with Done',
    { timeout: 20_000 },
    async () => {
      const page = await openPage();
      const options = await page
        .locator('#model option')
        .evaluateAll((list) => list.map((o) => (o as HTMLOptionElement).value));
      expect(options).toEqual([
        'sim/lorem-8b-instruct',
        'sim/lorem-70b-instruct',
        'sim/lorem-8b-instruct-lora-pirate',
      ]);

      const prompt = 'Tell me about the harbor';
      const maxTokens = 40; // 40 tokens, 50 ms apart: about 2 s of streaming
      await fill(page, prompt, maxTokens);
      await page.locator('#stream').click();

      // Sample the output area until the status line shows the terminal event.
      const samples: { at: number; text: string }[] = [];
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const [text, current] = await Promise.all([output(page), state(page)]);
        if (text !== (samples.at(-1)?.text ?? '')) samples.push({ at: Date.now(), text });
        if (current !== 'streaming') break;
        if (samples.length === 5)
          await page.screenshot({ path: `${SCREENSHOTS}web-streaming.png` });
        await page.waitForTimeout(20);
      }
      await page.screenshot({ path: `${SCREENSHOTS}web-done.png` });
      expect(await state(page), `status: ${await status(page)}`).toBe('done');
      expect(await status(page)).toMatch(
        /^Done: LENGTH · \d+ prompt \+ 40 completion = \d+ tokens$/,
      );

      // The text grew in many steps, each extending the last, over the stream's duration.
      expect(samples.length).toBeGreaterThanOrEqual(8);
      for (let i = 1; i < samples.length; i++) {
        expect(
          samples[i]!.text.startsWith(samples[i - 1]!.text),
          `sample ${i} extends sample ${i - 1}`,
        ).toBe(true);
        expect(samples[i]!.text.length).toBeGreaterThan(samples[i - 1]!.text.length);
      }
      expect(samples.at(-1)!.at - samples[0]!.at).toBeGreaterThan(1000);

      expect(
        stack.sim.requests.filter((r) => r.path === COMPLETIONS_PATH).map((r) => r.abortedAt),
      ).toEqual([null]);
      // The simulator is deterministic: the streamed text is what `complete` returns for the same input.
      const expected = await stack.gql(COMPLETE, { model: MODEL, prompt, maxTokens });
      expect(expected.data?.complete.__typename).toBe('Completion');
      expect(await output(page)).toBe(expected.data?.complete.text);
      await expect(page.locator('#stop').isDisabled()).resolves.toBe(true);
    },
  );

  it('shows a typed error with its code when the upstream stream breaks off', async () => {
    const page = await openPage();
    stack.sim.inject({ path: COMPLETIONS_PATH, stream: 'cut', afterTokens: 3 });
    await fill(page, 'Once upon a time', 64);
    await page.locator('#stream').click();
    await expect.poll(() => state(page), { timeout: 5000 }).toBe('error');
    expect(await status(page)).toMatch(/^UPSTREAM_ERROR: \S/);
    expect((await output(page)).length).toBeGreaterThan(0); // the chunks that did arrive stay
    await page.screenshot({ path: `${SCREENSHOTS}web-error.png` });
  });

  it('Stop disposes the subscription, and the gateway aborts the upstream request', async () => {
    const page = await openPage();
    await fill(page, 'A long story', 400); // 400 tokens, 50 ms apart: 20 s unless stopped
    await page.locator('#stream').click();
    await expect
      .poll(async () => (await output(page)).length, { timeout: 5000 })
      .toBeGreaterThan(20);
    expect(await state(page)).toBe('streaming');

    const stoppedAt = Date.now();
    await page.locator('#stop').click();
    const aborted = await stack.sim.waitForAbort(COMPLETIONS_PATH, 2000);
    expect(aborted.body).toMatchObject({ stream: true, model: MODEL, max_tokens: 400 });
    expect(aborted.finishedAt).toBeNull();
    expect(aborted.abortedAt! - stoppedAt).toBeLessThan(2000);

    expect(await state(page)).toBe('stopped');
    const atStop = await output(page);
    await page.waitForTimeout(300); // six token delays: nothing more may arrive
    expect(await output(page)).toBe(atStop);
    await expect(page.locator('#stream').isEnabled()).resolves.toBe(true);
    await expect(page.locator('#stop').isDisabled()).resolves.toBe(true);
    await page.screenshot({ path: `${SCREENSHOTS}web-stopped.png` });
  });
});
