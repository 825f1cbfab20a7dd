// What the pages of a browser test did, and the checks after each test of a page served on its own
// origin against the gateway (examples/web, the React example apps): the pages loaded nothing from
// elsewhere, the browser tried no non-loopback host, and no page threw or logged an error.
import type { BrowserContext } from 'playwright-core';
import { expect } from 'vitest';
import type { LoopbackChromium } from './browser.ts';

export interface PageActivity {
  /** Every URL the pages requested. */
  requested: string[];
  pageErrors: string[];
  consoleErrors: string[];
  consoleWarnings: string[];
}

/** Records what the pages of `context` request, throw, and log as errors and warnings. */
export function watchPages(context: BrowserContext): PageActivity {
  const activity: PageActivity = {
    requested: [],
    pageErrors: [],
    consoleErrors: [],
    consoleWarnings: [],
  };
  context.on('request', (request) => activity.requested.push(request.url()));
  context.on('weberror', (error) => activity.pageErrors.push(error.error().message));
  context.on('console', (message) => {
    if (message.type() === 'error') activity.consoleErrors.push(message.text());
    if (message.type() === 'warning') activity.consoleWarnings.push(message.text());
  });
  return activity;
}

/**
 * After a test (its context closed): every request went to the page's origin or the gateway's (or
 * was a data: URL), no connection to another host was tried, and no page threw or logged an error.
 */
export function expectQuietPages(
  chromium: LoopbackChromium,
  activity: PageActivity,
  origins: { page: string; gateway: string },
): void {
  const elsewhere = activity.requested.filter(
    (url) =>
      !url.startsWith(`${origins.page}/`) &&
      !url.startsWith(`${origins.gateway}/`) &&
      !url.startsWith('data:'),
  );
  expect(elsewhere, 'requests to anything but the page and the gateway').toEqual([]);
  expect(
    chromium.unexpectedAttempts(),
    'connections the browser tried to open to non-loopback hosts',
  ).toEqual([]);
  expect(activity.pageErrors, 'uncaught page errors').toEqual([]);
  expect(activity.consoleErrors, 'console errors').toEqual([]);
}
