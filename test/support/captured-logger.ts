import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/observability/logger.ts';

/** A real pino logger at debug level whose JSON lines are kept in memory, for tests that read or scan the logs. */
export function capturedLogger(): { logger: Logger; logs: string[] } {
  const logs: string[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  return { logger, logs };
}
