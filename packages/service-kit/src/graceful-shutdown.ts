import type { Logger } from 'pino';

/** Time from the first signal to a forced exit. */
export const DEFAULT_SHUTDOWN_GRACE_PERIOD_MS = 10_000;
/**
 * Time readiness fails before the listener closes, so that a proxy polling readiness (or a
 * Kubernetes endpoint controller) stops routing here before connections are refused.
 */
export const DEFAULT_SHUTDOWN_DELAY_MS = 3_000;
export const DEFAULT_SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

export interface SignalHandlerOptions {
  signals: readonly NodeJS.Signals[];
  gracePeriodMs: number;
  /** Drain and close everything (the service's `stop`). */
  stop(reason: string): Promise<void>;
  logger: Logger;
  /** Default `process.exit`. */
  exit?: (code: number) => void;
}

/**
 * On the first signal: stop, then exit 0; exit 1 if stopping fails or outlasts the grace
 * period. Later signals are logged and ignored: the drain is already under way.
 * Returns a function that removes the handlers.
 */
export function installSignalHandlers(options: SignalHandlerOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      options.logger.warn({ signal }, 'shutdown already in progress');
      return;
    }
    shuttingDown = true;
    options.logger.info({ signal, gracePeriodMs: options.gracePeriodMs }, 'shutting down');
    const deadline = setTimeout(() => {
      options.logger.error({ gracePeriodMs: options.gracePeriodMs }, 'grace period exceeded, forcing exit');
      exit(1);
    }, options.gracePeriodMs);
    options.stop(signal).then(
      () => {
        clearTimeout(deadline);
        options.logger.info('shutdown complete');
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(deadline);
        options.logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  for (const signal of options.signals) process.on(signal, onSignal);
  return () => {
    for (const signal of options.signals) process.off(signal, onSignal);
  };
}
