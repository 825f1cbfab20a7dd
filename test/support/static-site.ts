// The browser tests' page server: a Vite build of an example app, served from 127.0.0.1 by a tiny
// static server (another origin than the gateway's, which the gateway's CORS_ORIGINS lists).
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { build } from 'vite';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface Site {
  url: string;
  close(): Promise<void>;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });
}

function listenOnLoopback(server: Server, sockets: Set<Socket>): Promise<string> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

/** Serves the built page: GET only, files under `root` only, `/` is index.html. */
async function startStaticServer(root: string): Promise<Site> {
  const sockets = new Set<Socket>();
  const server = createHttpServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, pathname === '/' ? 'index.html' : pathname));
    if (req.method !== 'GET' || !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res
        .writeHead(200, {
          'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        })
        .end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  const url = await listenOnLoopback(server, sockets);
  return { url, close: () => closeServer(server, sockets) };
}

/** Builds the Vite app in `appRoot` (its own vite.config.ts, mode production) into a temp dir and serves it. */
export async function buildAndServe(appRoot: string): Promise<Site> {
  const outDir = mkdtempSync(join(tmpdir(), 'nim-graphql-app-'));
  try {
    await build({
      root: appRoot,
      configFile: join(appRoot, 'vite.config.ts'),
      mode: 'production',
      logLevel: 'warn',
      // Under vitest NODE_ENV is "test", so React and the clients are bundled in their development
      // builds: their warnings reach the console, where a console error fails a browser test.
      // Those builds are larger than a production one.
      build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 2000 },
    });
    const site = await startStaticServer(outDir);
    return {
      url: site.url,
      async close() {
        await site.close();
        rmSync(outDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(outDir, { recursive: true, force: true });
    throw error;
  }
}
