/**
 * Microsoft Graph's error body: `{ error: { code, message, innerError: { date, request-id,
 * client-request-id } } }` (https://learn.microsoft.com/graph/errors), with the codes the users
 * endpoint answers.
 */
import type { Request, Response } from 'express';

export class GraphError extends Error {
  override name = 'GraphError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const graphErrors = {
  /** GET /users/{id | userPrincipalName} of a user that does not exist. */
  userNotFound: (idOrUpn: string) =>
    new GraphError(404, 'Request_ResourceNotFound', `Resource '${idOrUpn}' does not exist or one of its queried reference-property objects are not present.`),
  /** The app holds none of the permissions the call needs (https://learn.microsoft.com/graph/api/user-get#permissions). */
  insufficientPrivileges: () => new GraphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'),
  invalidToken: (message: string) => new GraphError(401, 'InvalidAuthenticationToken', message),
  unsupportedQuery: (message: string) => new GraphError(400, 'Request_UnsupportedQuery', message),
  badRequest: (message: string) => new GraphError(400, 'Request_BadRequest', message),
};

export function sendGraphError(req: Request, res: Response, err: GraphError, requestId: string): void {
  res
    .status(err.status)
    .set('request-id', requestId)
    .json({
      error: {
        code: err.code,
        message: err.message,
        innerError: { date: new Date().toISOString().replace(/\.\d{3}Z$/, ''), 'request-id': requestId, 'client-request-id': req.get('client-request-id') ?? requestId },
      },
    });
}
