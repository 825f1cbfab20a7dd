// The last line of defence: an error nothing caught (a bug — every upstream answer and client input
// is meant to end in a typed error long before this) is logged and counted, and the process goes on
// serving the requests in flight instead of dying with all of them.
import type { Logger } from './logger.ts';
import type { GatewayMetrics } from './metrics.ts';

export interface LastResort {
  /** Stops listening (tests; a process keeps it for its life). */
  uninstall(): void;
}

export function installLastResort(
  logger: Logger,
  metrics: GatewayMetrics,
  target: NodeJS.Process = process,
): LastResort {
  const escaped = (kind: 'uncaughtException' | 'unhandledRejection') => (error: unknown) => {
    metrics.escapedErrors.inc({ kind });
    logger.error(
      { err: error, kind, escaped: true },
      `escaped error (${kind}): logged and counted, the process keeps serving`,
    );
  };
  const onException = escaped('uncaughtException');
  const onRejection = escaped('unhandledRejection');
  target.on('uncaughtException', onException);
  target.on('unhandledRejection', onRejection);
  return {
    uninstall() {
      target.off('uncaughtException', onException);
      target.off('unhandledRejection', onRejection);
    },
  };
}
