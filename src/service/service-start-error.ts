/** Start-up refused: bad configuration, an unreadable store or policies. The message says what to fix. */
export class ServiceStartError extends Error {
  override name = 'ServiceStartError';
}
