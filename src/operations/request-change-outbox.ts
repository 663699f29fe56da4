/**
 * The narrow port through which request changes reach the notification outbox. The stores call it
 * inside the SQLite transaction that changes the request, so the change and its outbox rows commit
 * (or roll back) together. The stores know nothing of channels or routing: the implementation
 * (src/notifications/outbox-writer.ts) decides what, if anything, is written.
 */
import type { Queryable } from '../store/database.ts';
import type { OperationRequest, RequestState } from './operation-types.ts';

export type RequestChange =
  | {
      kind: 'state';
      /** the request as the change left it (state, version, deadline) */
      request: OperationRequest;
      /** null for a new request */
      from: RequestState | null;
      at: string;
      /**
       * Whether the change is on the audit record already (a new request, an approval, are audited
       * first). A transition is audited right after its compare-and-set: its rows are held until
       * the lifecycle says the audit is written (`release`), and retracted if it is reverted.
       */
      audited: boolean;
    }
  | {
      kind: 'approval';
      /** the request still waiting for more approvers */
      request: OperationRequest;
      approverUpn: string;
      counted: number;
      required: number;
      at: string;
    };

export interface RequestChangeOutbox {
  /** Called inside the change's transaction; throwing rolls the change back. */
  record(tx: Queryable, change: RequestChange): Promise<void>;
  /** Called inside the transaction of a compensating revert: forget what `version` recorded. */
  retract(tx: Queryable, requestId: string, version: number): Promise<void>;
}
