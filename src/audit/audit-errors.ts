/**
 * Thrown (as a rejection) whenever an entry could not be durably recorded: bad input, read-only
 * or full disk, closed store. Callers audit first and act second, so this must stop the action.
 */
export class AuditAppendError extends Error {
  override name = 'AuditAppendError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
