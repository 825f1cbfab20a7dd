// The pool's interceptor that lets go of a response's raw header list once its head is handed on
// (src/nim/raw-headers.ts): what the request API answers is unchanged, and while the body is still
// coming the controller holds no raw headers.
import { createServer, type Server } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { forgetRawHeaders } from '../../src/nim/raw-headers.ts';

let server: Server | undefined;
let pool: Pool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** Sees what the handler inside it is handed, and what the controller holds meanwhile. */
function watch(seen: { atStart: unknown; atData: unknown[]; atEnd: unknown }) {
  const interceptor: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) =>
    dispatch(options, {
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      onResponseStart: (controller, status, headers, message) => {
        seen.atStart = (controller.rawHeaders as Buffer[] | null)?.map(String);
        handler.onResponseStart?.(controller, status, headers, message);
      },
      onResponseData: (controller, chunk) => {
        seen.atData.push(controller.rawHeaders);
        handler.onResponseData?.(controller, chunk);
      },
      onResponseEnd: (controller, trailers) => {
        seen.atEnd = controller.rawHeaders;
        handler.onResponseEnd?.(controller, trailers);
      },
      onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
    });
  return interceptor;
}

describe('forgetRawHeaders', () => {
  it('hands the head on as it came, then the controller holds no raw headers while the body comes', async () => {
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'x-marker': 'kept' });
      response.write('first ');
      setTimeout(() => response.end('last'), 20);
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const seen = {
      atStart: undefined as unknown,
      atData: [] as unknown[],
      atEnd: undefined as unknown,
    };
    pool = new Pool(`http://127.0.0.1:${port}`);
    // Composed after it, the watcher's handler is the one forgetRawHeaders hands each step on to.
    const dispatcher = pool.compose(forgetRawHeaders, watch(seen));
    const response = await dispatcher.request({ method: 'GET', path: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-marker']).toBe('kept');
    expect(await response.body.text()).toBe('first last');
    expect(seen.atStart).toEqual(expect.arrayContaining(['x-marker', 'kept']));
    expect(seen.atData.length).toBeGreaterThan(0);
    expect(seen.atData.every((raw) => raw === null)).toBe(true);
    expect(seen.atEnd).toBeNull();
  });

  it('hands every step on to the handler inside it, as it came', () => {
    const heard: unknown[][] = [];
    const record =
      (name: string) =>
      (...args: unknown[]) =>
        void heard.push([name, ...args]);
    const inner: Dispatcher.DispatchHandler = {
      onRequestStart: record('onRequestStart'),
      onRequestUpgrade: record('onRequestUpgrade'),
      onResponseStart: record('onResponseStart'),
      onResponseData: record('onResponseData'),
      onResponseEnd: record('onResponseEnd'),
      onResponseError: record('onResponseError'),
      onResponseStarted: record('onResponseStarted'),
      onBodySent: record('onBodySent'),
      onRequestSent: record('onRequestSent'),
    };
    let handed: Dispatcher.DispatchHandler | undefined;
    const dispatch = forgetRawHeaders((_options, handler) => {
      handed = handler;
      return true;
    });
    expect(dispatch({ origin: 'http://x', path: '/', method: 'GET' }, inner)).toBe(true);
    const controller = { rawHeaders: [Buffer.from('a'), Buffer.from('b')] } as never;
    const chunk = Buffer.from('data');
    const error = new Error('cut');
    handed!.onRequestStart!(controller, 'context');
    handed!.onRequestUpgrade!(controller, 101, { upgrade: 'x' }, 'socket' as never);
    handed!.onResponseStarted!();
    handed!.onResponseStart!(controller, 200, { a: 'b' }, 'OK');
    handed!.onBodySent!(chunk);
    handed!.onRequestSent!();
    handed!.onResponseData!(controller, chunk);
    handed!.onResponseEnd!(controller, { t: 'x' });
    handed!.onResponseError!(controller, error);
    expect(heard).toEqual([
      ['onRequestStart', controller, 'context'],
      ['onRequestUpgrade', controller, 101, { upgrade: 'x' }, 'socket'],
      ['onResponseStarted'],
      ['onResponseStart', controller, 200, { a: 'b' }, 'OK'],
      ['onBodySent', chunk],
      ['onRequestSent'],
      ['onResponseData', controller, chunk],
      ['onResponseEnd', controller, { t: 'x' }],
      ['onResponseError', controller, error],
    ]);
    expect((controller as { rawHeaders: unknown }).rawHeaders).toBeNull();
    // A handler with none of the steps is handed none of them, and nothing throws.
    const dispatchBare = forgetRawHeaders((_options, handler) => {
      handler.onRequestStart?.(controller, null);
      handler.onResponseStart?.(undefined as never, 200, {}, 'OK');
      handler.onResponseStarted?.();
      handler.onBodySent?.(chunk);
      handler.onRequestSent?.();
      handler.onResponseData?.(controller, chunk);
      handler.onResponseEnd?.(controller, {});
      handler.onResponseError?.(controller, error);
      handler.onRequestUpgrade?.(controller, 101, {}, 'socket' as never);
      return true;
    });
    expect(dispatchBare({ origin: 'http://x', path: '/', method: 'GET' }, {})).toBe(true);
  });
});
