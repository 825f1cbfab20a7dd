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
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
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
});
