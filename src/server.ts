// node:http around the Yoga app: listen, and close gracefully (drain, then cut what is left).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from './yoga.ts';

export interface RunningServer {
  server: Server;
  url: string;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then closes the rest. */
  close(graceMs?: number): Promise<void>;
}

export async function listen(gateway: Gateway, host: string, port: number): Promise<RunningServer> {
  const server = createServer(gateway.yoga);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;

  const close = async (graceMs = 0) => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    await closed;
    clearTimeout(deadline);
    await gateway.close();
  };

  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    close: (graceMs) => (closing ??= close(graceMs)),
  };
}
