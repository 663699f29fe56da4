import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * Blob service errors as the service sends them: the status, the code in `x-ms-error-code`, and
 * (except for HEAD) an XML body with Code and Message, the message ending with the request id and
 * time. Codes and statuses from
 * https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes and
 * https://learn.microsoft.com/rest/api/storageservices/common-rest-api-error-codes
 */

export interface BlobError {
  status: number;
  code: string;
  message: string;
  /** Extra XML elements, e.g. AuthenticationErrorDetail. */
  detail?: Record<string, string>;
  headers?: Record<string, string>;
}

export const SERVICE_VERSION = '2025-11-05';

export const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

/** Headers every response carries: request ids, the version, the server banner. */
export function commonHeaders(req: Request, res: Response): string {
  const requestId = randomUUID();
  res.set('x-ms-request-id', requestId);
  res.set('x-ms-version', req.get('x-ms-version') ?? SERVICE_VERSION);
  res.set('Server', 'Windows-Azure-Blob/1.0 Microsoft-HTTPAPI/2.0');
  res.set('Date', new Date().toUTCString());
  const clientRequestId = req.get('x-ms-client-request-id');
  if (clientRequestId && clientRequestId.length <= 1024) res.set('x-ms-client-request-id', clientRequestId);
  return requestId;
}

export function sendBlobError(req: Request, res: Response, err: BlobError): void {
  const requestId = commonHeaders(req, res);
  res.status(err.status);
  res.set('x-ms-error-code', err.code);
  for (const [k, v] of Object.entries(err.headers ?? {})) res.set(k, v);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const detail = Object.entries(err.detail ?? {}).map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`).join('');
  const message = `${err.message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}`;
  res.type('application/xml').send(`\uFEFF<?xml version="1.0" encoding="utf-8"?><Error><Code>${err.code}</Code><Message>${xmlEscape(message)}</Message>${detail}</Error>`);
}

export const blobErrors = {
  containerNotFound: (): BlobError => ({ status: 404, code: 'ContainerNotFound', message: 'The specified container does not exist.' }),
  blobNotFound: (): BlobError => ({ status: 404, code: 'BlobNotFound', message: 'The specified blob does not exist.' }),
  blobAlreadyExists: (): BlobError => ({ status: 409, code: 'BlobAlreadyExists', message: 'The specified blob already exists.' }),
  blobImmutable: (): BlobError => ({ status: 409, code: 'BlobImmutableDueToPolicy', message: 'This operation is not permitted as the blob is immutable due to a policy.' }),
  conditionNotMet: (): BlobError => ({ status: 412, code: 'ConditionNotMet', message: 'The condition specified using HTTP conditional header(s) is not met.' }),
  missingHeader: (name: string): BlobError => ({ status: 400, code: 'MissingRequiredHeader', message: 'An HTTP header that\'s mandatory for this request is not specified.', detail: { HeaderName: name } }),
  invalidHeader: (name: string, value: string): BlobError => ({ status: 400, code: 'InvalidHeaderValue', message: 'The value for one of the HTTP headers is not in the correct format.', detail: { HeaderName: name, HeaderValue: value.slice(0, 200) } }),
  missingContentLength: (): BlobError => ({ status: 411, code: 'MissingContentLengthHeader', message: 'The Content-Length header was not specified.' }),
  tooLarge: (): BlobError => ({ status: 413, code: 'RequestBodyTooLarge', message: 'The request body is too large and exceeds the maximum permissible limit.' }),
  md5Mismatch: (): BlobError => ({ status: 400, code: 'Md5Mismatch', message: 'The MD5 value specified in the request did not match with the MD5 value calculated by the server.' }),
  invalidQuery: (name: string, value: string): BlobError => ({ status: 400, code: 'InvalidQueryParameterValue', message: 'Value for one of the query parameters specified in the request URI is invalid.', detail: { QueryParameterName: name, QueryParameterValue: value.slice(0, 200) } }),
  outOfRange: (name: string, value: string): BlobError => ({ status: 400, code: 'OutOfRangeQueryParameterValue', message: 'One of the query parameters specified in the request URI is outside the permissible range.', detail: { QueryParameterName: name, QueryParameterValue: value.slice(0, 200) } }),
  invalidResourceName: (): BlobError => ({ status: 400, code: 'InvalidResourceName', message: 'The specifed resource name contains invalid characters.' }),
  unsupportedVerb: (): BlobError => ({ status: 405, code: 'UnsupportedHttpVerb', message: 'The resource doesn\'t support the specified HTTP verb.' }),
  unsupportedOperation: (): BlobError => ({ status: 400, code: 'UnsupportedQueryParameter', message: 'One of the query parameters specified in the request URI is not supported.' }),
};
