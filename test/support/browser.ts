// Debian's chromium, driven by playwright-core, for the browser tests: headless (no display needed),
// and kept on loopback. Its proxy for every non-loopback host is a sink on 127.0.0.1 that records
// each attempt and drops it, so nothing leaves the machine and a test can assert what was tried.
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Hosts of Chromium's own background services (sign-in, autofill, GCM), which Debian's build calls
 * whatever the page does; no launch switch turns them all off without replacing Playwright's
 * --disable-features list. The sink keeps them off the network; `unexpectedAttempts` ignores them.
 */
const CHROMIUM_SERVICES = /(^|\.)(google\.com|googleapis\.com|gstatic\.com|gvt1\.com)$/;

interface Sink {
  url: string;
  /** First line of each proxied request: "CONNECT host:443 HTTP/1.1" or "GET http://host/… HTTP/1.1". */
  attempts: string[];
  close(): Promise<void>;
}

export interface LoopbackChromium {
  browser: Browser;
  sink: Sink;
  /** Attempts to reach a non-loopback host other than Chromium's own services: should be []. */
  unexpectedAttempts(): string[];
  close(): Promise<void>;
}

/** The host a proxied request was for. */
function proxiedHost(requestLine: string): string {
  const target = requestLine.split(' ')[1] ?? '';
  try {
    return target.includes('://') ? new URL(target).hostname : new URL(`http://${target}`).hostname;
  } catch {
    return target;
  }
}

async function startSink(): Promise<Sink> {
  const attempts: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const index = attempts.push('(a connection that sent no request line)') - 1;
    socket.once('data', (bytes) => {
      attempts[index] = bytes.toString('latin1').split('\r\n', 1)[0]!;
      socket.destroy();
    });
    socket.setTimeout(1000, () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    attempts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Launches chromium; fails loudly when it is missing (CI installs it with apt in .ci/run). */
export async function launchChromium(): Promise<LoopbackChromium> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `chromium not found at ${CHROMIUM}: the browser tests need Debian's chromium (apt-get install chromium; .ci/run installs it)`,
    );
  }
  const sink = await startSink();
  try {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true, // playwright passes --headless
      chromiumSandbox: false, // --no-sandbox: CI runs as root
      args: [
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
      // Loopback bypasses the proxy; every other host goes to the sink.
      proxy: { server: sink.url, bypass: '127.0.0.1' },
    });
    return {
      browser,
      sink,
      unexpectedAttempts: () =>
        sink.attempts.filter((line) => !CHROMIUM_SERVICES.test(proxiedHost(line))),
      async close() {
        await browser.close();
        await sink.close();
      },
    };
  } catch (error) {
    await sink.close();
    throw error;
  }
}
