import type { Logger } from '../observability/logger.ts';

/**
 * Stops the service on SIGINT/SIGTERM: in-flight requests finish, then the store and sandbox
 * close. Repeated signals (a terminal sends SIGINT to the whole process group, and a re-exec
 * parent forwards it too) do not restart the close; a hard deadline ends a close that hangs.
 */
export function installShutdownHandlers(close: () => Promise<void>, logger: Logger, deadlineMs = 10_000): () => void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown did not finish in time; exiting');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    close().then(
      () => {
        clearTimeout(timer);
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ reason: err instanceof Error ? err.message : String(err) }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
