/**
 * What an approval use case answers: plain data the web layer renders (page, redirect, or a new
 * sign-in). Statuses are HTTP-shaped because every caller is an HTTP route, but nothing here
 * knows Express.
 */
import type { OperationRequest } from '../operations/operation-types.ts';
import type { BeginSignInOptions } from '../signin/begin-sign-in.ts';

export type RefusalStatus = 400 | 403 | 404 | 409 | 503;

export type DecisionResult =
  | { kind: 'refused'; status: RefusalStatus; code: string; message: string; request?: OperationRequest | undefined }
  /** Send the approver through this sign-in (fresh, bound to the request); the approval continues at its callback. */
  | { kind: 'sign_in'; options: BeginSignInOptions; request: OperationRequest; message?: string | undefined }
  /** The approval counts; the request waits for more approvers. */
  | { kind: 'recorded'; request: OperationRequest; counted: number; required: number }
  /** The request was approved and executed (its state tells how it went: succeeded, failed, or still executing). */
  | { kind: 'executed'; request: OperationRequest }
  | { kind: 'denied'; request: OperationRequest }
  /** Entra would not exchange the approver's token; the request is still pending, nothing ran. */
  | { kind: 'obo_problem'; request: OperationRequest; code: string; message: string; adminAction?: string | undefined };

export const refused = (status: RefusalStatus, code: string, message: string, request?: OperationRequest): DecisionResult => ({
  kind: 'refused',
  status,
  code,
  message,
  request,
});

/** Review refusal codes to HTTP statuses: bad input is 400, a request in the wrong state 409, the policy 403. */
export function refusalStatus(code: string): RefusalStatus {
  switch (code) {
    case 'reason_required':
    case 'reason_too_long':
    case 'reason_invalid':
      return 400;
    case 'not_pending':
    case 'already_approved':
    case 'changed_concurrently':
    case 'no_attempt':
    case 'approval_in_progress':
    case 'approval_in_flight':
    case 'too_many_sign_ins':
    case 'operation_mismatch':
      return 409;
    case 'not_found':
      return 404;
    case 'audit_unavailable':
      return 503;
    default:
      return 403;
  }
}
