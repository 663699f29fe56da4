/** A store problem with a one-line message fit for an operator (bad path, schema mismatch). */
export class StoreError extends Error {
  override name = 'StoreError';
}
