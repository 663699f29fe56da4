import type { OperationRequestStore } from './operation-request-store.ts';
import type { OperationRequest } from './operation-types.ts';

/**
 * The requests with these ids, in the order given: list pages select ids with their own SQL
 * (filters, order, keyset) and read each request through the store, the one place that maps rows.
 * An id whose request is gone by the time it is read is skipped.
 */
export async function requestsById(store: Pick<OperationRequestStore, 'get'>, ids: readonly string[]): Promise<OperationRequest[]> {
  const out: OperationRequest[] = [];
  for (const id of ids) {
    const stored = await store.get(id);
    if (stored) out.push(stored.request);
  }
  return out;
}
