import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { authenticateBlobRequest, type BlobAuthContext } from './blob-authentication.ts';
import { blobErrors, commonHeaders, sendBlobError, xmlEscape, type BlobError } from './blob-errors.ts';
import { isBlobName, type BlobAccounts, type StoredBlob, type StoredContainer } from './blob-state.ts';

/**
 * The sandbox's Blob service, path-style as emulators are addressed
 * (`https://localhost:<port>/<account>/<container>/<blob>`; @azure/storage-blob treats a localhost
 * host as path-style). The operations Elevate's checkpoint store needs, with the service's headers
 * and errors:
 * - Get Container Properties  https://learn.microsoft.com/rest/api/storageservices/get-container-properties
 * - List Blobs (prefix, marker, maxresults)  https://learn.microsoft.com/rest/api/storageservices/list-blobs
 * - Put Blob (block blobs)  https://learn.microsoft.com/rest/api/storageservices/put-blob
 * - Get Blob  https://learn.microsoft.com/rest/api/storageservices/get-blob
 * - Get Blob Properties  https://learn.microsoft.com/rest/api/storageservices/get-blob-properties
 * - Delete Blob  https://learn.microsoft.com/rest/api/storageservices/delete-blob
 * Conditional headers: https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations
 * Each operation is authorized with Azure RBAC at the container's ARM scope, with the action or
 * data action the service checks (403 AuthorizationPermissionMismatch otherwise):
 * https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory#permissions-for-calling-data-operations
 */

export interface BlobRouterDeps extends BlobAuthContext {
  accounts: BlobAccounts;
  /** The sandbox ARM's RBAC decision for the caller at a scope. */
  isAllowed(principalId: string, action: string, scope: string, dataAction: boolean): boolean;
}

const CONTAINERS = 'Microsoft.Storage/storageAccounts/blobServices/containers';
const permissionMismatch = (): BlobError => ({ status: 403, code: 'AuthorizationPermissionMismatch', message: 'This request is not authorized to perform this operation using this permission.' });

/** The sandbox keeps blobs in memory: a Put Blob larger than this is refused (the service allows 5000 MiB). */
const MAX_PUT_BYTES = 4 * 1024 * 1024;
const MAX_RESULTS = 5000;

interface Target {
  account: string;
  container: string | undefined;
  blob: string | undefined;
  query: URLSearchParams;
}

function parseTarget(req: Request, accounts: BlobAccounts): Target | undefined | 'invalid' {
  const url = new URL(req.originalUrl, 'https://sandbox.invalid');
  const path = url.pathname;
  const m = /^\/([a-z0-9]{3,24})(?:\/([^/]*)(?:\/(.*))?)?$/.exec(path);
  if (!m || !accounts.hasAccount(m[1]!)) return undefined;
  let blob: string | undefined;
  try {
    blob = m[3] !== undefined ? decodeURIComponent(m[3]) : undefined;
  } catch {
    return 'invalid';
  }
  return { account: m[1]!, container: m[2] || undefined, blob: blob || undefined, query: url.searchParams };
}

const httpDate = (d: Date) => d.toUTCString();

function blobHeaders(res: Response, blob: StoredBlob): void {
  // setHeader, not res.set: express would append a charset to the stored content type.
  res.setHeader('Content-Type', blob.contentType);
  res.set({
    'Content-MD5': blob.contentMd5,
    ETag: blob.etag,
    'Last-Modified': httpDate(blob.lastModified),
    'Accept-Ranges': 'bytes',
    'x-ms-blob-type': 'BlockBlob',
    'x-ms-creation-time': httpDate(blob.createdOn),
    'x-ms-version-id': blob.versionId,
    'x-ms-is-current-version': 'true',
    'x-ms-lease-status': 'unlocked',
    'x-ms-lease-state': 'available',
    'x-ms-server-encrypted': 'true',
    'x-ms-access-tier': 'Hot',
    'x-ms-access-tier-inferred': 'true',
  });
  if (blob.immutabilityUntil) {
    res.set('x-ms-immutability-policy-until-date', httpDate(blob.immutabilityUntil));
    res.set('x-ms-immutability-policy-mode', blob.immutabilityMode!);
  }
}

function containerProperties(req: Request, res: Response, c: StoredContainer): void {
  commonHeaders(req, res);
  res.set({
    ETag: c.etag,
    'Last-Modified': httpDate(c.lastModified),
    'x-ms-lease-status': 'unlocked',
    'x-ms-lease-state': 'available',
    'x-ms-has-immutability-policy': String(c.policy !== undefined),
    'x-ms-has-legal-hold': 'false',
    'x-ms-immutable-storage-with-versioning-enabled': String(c.versionLevelWorm),
    'x-ms-default-encryption-scope': '$account-encryption-key',
    'x-ms-deny-encryption-scope-override': 'false',
  });
  res.status(200).end();
}

function listBlobs(req: Request, res: Response, deps: BlobRouterDeps, t: Target, c: StoredContainer): BlobError | undefined {
  const prefix = t.query.get('prefix') ?? '';
  const marker = t.query.get('marker') ?? undefined;
  const rawMax = t.query.get('maxresults');
  let max = MAX_RESULTS;
  if (rawMax !== null) {
    if (!/^\d{1,9}$/.test(rawMax)) return blobErrors.invalidQuery('maxresults', rawMax);
    max = Number(rawMax);
    if (max < 1 || max > MAX_RESULTS) return blobErrors.outOfRange('maxresults', rawMax);
  }
  const include = new Set((t.query.get('include') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean));
  // The marker is opaque to clients; here it is the last name of the previous page, base64url.
  let after: string | undefined;
  if (marker) {
    after = Buffer.from(marker, 'base64url').toString('utf8');
    if (Buffer.from(after, 'utf8').toString('base64url') !== marker) return blobErrors.invalidQuery('marker', marker);
  }
  const page = deps.accounts.list(c, { prefix, marker: after, max });
  const items = page.blobs
    .map((b) => {
      const immutability =
        include.has('immutabilitypolicy') && b.immutabilityUntil
          ? `<ImmutabilityPolicyUntilDate>${httpDate(b.immutabilityUntil)}</ImmutabilityPolicyUntilDate><ImmutabilityPolicyMode>${b.immutabilityMode}</ImmutabilityPolicyMode>`
          : '';
      return (
        `<Blob><Name>${xmlEscape(b.name)}</Name><VersionId>${b.versionId}</VersionId><IsCurrentVersion>true</IsCurrentVersion><Properties>` +
        `<Creation-Time>${httpDate(b.createdOn)}</Creation-Time><Last-Modified>${httpDate(b.lastModified)}</Last-Modified><Etag>${b.etag.replace(/"/g, '')}</Etag>` +
        `<Content-Length>${b.content.length}</Content-Length><Content-Type>${xmlEscape(b.contentType)}</Content-Type><Content-Encoding /><Content-Language /><Content-CRC64 />` +
        `<Content-MD5>${b.contentMd5}</Content-MD5><Cache-Control /><Content-Disposition /><BlobType>BlockBlob</BlobType><AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred>` +
        `<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted>${immutability}</Properties><OrMetadata /></Blob>`
      );
    })
    .join('');
  const nextMarker = page.nextMarker !== undefined ? `<NextMarker>${Buffer.from(page.nextMarker, 'utf8').toString('base64url')}</NextMarker>` : '<NextMarker />';
  const body =
    `\uFEFF<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="${xmlEscape(`${deps.origin}/${t.account}/`)}" ContainerName="${xmlEscape(c.name)}">` +
    `${prefix ? `<Prefix>${xmlEscape(prefix)}</Prefix>` : ''}${marker ? `<Marker>${xmlEscape(marker)}</Marker>` : ''}${rawMax !== null ? `<MaxResults>${max}</MaxResults>` : ''}` +
    `<Blobs>${items}</Blobs>${nextMarker}</EnumerationResults>`;
  commonHeaders(req, res);
  res.status(200).type('application/xml').send(body);
  return undefined;
}

function readBody(req: Request, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else if (!over) chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function putBlob(req: Request, res: Response, deps: BlobRouterDeps, c: StoredContainer, name: string): Promise<BlobError | undefined> {
  const type = req.get('x-ms-blob-type');
  if (!type) return blobErrors.missingHeader('x-ms-blob-type');
  if (type !== 'BlockBlob') return blobErrors.invalidHeader('x-ms-blob-type', type);
  const length = req.get('content-length');
  if (length === undefined) return blobErrors.missingContentLength();
  if (!/^\d+$/.test(length)) return blobErrors.invalidHeader('Content-Length', length);
  if (Number(length) > MAX_PUT_BYTES) return blobErrors.tooLarge();
  const body = await readBody(req, MAX_PUT_BYTES);
  if (body === 'too-large') return blobErrors.tooLarge();
  const md5 = req.get('content-md5');
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5) return blobErrors.md5Mismatch();
  const result = deps.accounts.put(c, name, body, {
    contentType: req.get('x-ms-blob-content-type'),
    ifNoneMatch: req.get('if-none-match'),
    ifMatch: req.get('if-match'),
  });
  if (result === 'BlobAlreadyExists') return blobErrors.blobAlreadyExists();
  if (result === 'BlobImmutableDueToPolicy') return blobErrors.blobImmutable();
  if (result === 'ConditionNotMet') return blobErrors.conditionNotMet();
  commonHeaders(req, res);
  res.set({
    ETag: result.etag,
    'Last-Modified': httpDate(result.lastModified),
    'Content-MD5': result.contentMd5,
    'x-ms-request-server-encrypted': 'true',
    'x-ms-version-id': result.versionId,
  });
  res.status(201).end();
  return undefined;
}

async function handle(req: Request, res: Response, deps: BlobRouterDeps, t: Target): Promise<BlobError | undefined> {
  if (!req.get('x-ms-version')) return blobErrors.missingHeader('x-ms-version');
  const auth = await authenticateBlobRequest(req, deps);
  if ('status' in auth) return auth;
  if (!t.container) return blobErrors.unsupportedOperation();
  const scope = deps.accounts.containerScope(t.account, t.container);
  const allowed = (action: string, dataAction: boolean) => deps.isAllowed(auth.principalId, action, scope, dataAction);
  const c = deps.accounts.container(t.account, t.container);
  const restype = t.query.get('restype');
  const comp = t.query.get('comp');
  if (t.blob === undefined) {
    if (restype !== 'container') return blobErrors.invalidQuery('restype', restype ?? '');
    if ((req.method === 'GET' || req.method === 'HEAD') && comp === null) {
      if (!allowed(`${CONTAINERS}/read`, false)) return permissionMismatch();
      if (!c) return blobErrors.containerNotFound();
      containerProperties(req, res, c);
      return undefined;
    }
    if (req.method === 'GET' && comp === 'list') {
      if (!allowed(`${CONTAINERS}/blobs/read`, true)) return permissionMismatch();
      if (!c) return blobErrors.containerNotFound();
      return listBlobs(req, res, deps, t, c);
    }
    return req.method === 'GET' || req.method === 'HEAD' ? blobErrors.unsupportedOperation() : blobErrors.unsupportedVerb();
  }
  if (!isBlobName(t.blob)) return blobErrors.invalidResourceName();
  if (comp !== null || restype !== null) return blobErrors.unsupportedOperation();
  const dataAction = { PUT: 'write', GET: 'read', HEAD: 'read', DELETE: 'delete' }[req.method];
  if (dataAction === undefined) return blobErrors.unsupportedVerb();
  // Creating a blob is allowed by write or by add (which cannot overwrite).
  const permitted = allowed(`${CONTAINERS}/blobs/${dataAction}`, true) || (req.method === 'PUT' && allowed(`${CONTAINERS}/blobs/add/action`, true) && !c?.blobs.has(t.blob));
  if (!permitted) return permissionMismatch();
  if (!c) return blobErrors.containerNotFound();
  switch (req.method) {
    case 'PUT':
      return putBlob(req, res, deps, c, t.blob);
    case 'GET':
    case 'HEAD': {
      const blob = c.blobs.get(t.blob);
      if (!blob) return blobErrors.blobNotFound();
      const ifNoneMatch = req.get('if-none-match');
      const ifMatch = req.get('if-match');
      if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== blob.etag) return blobErrors.conditionNotMet();
      commonHeaders(req, res);
      blobHeaders(res, blob);
      if (ifNoneMatch !== undefined && (ifNoneMatch === '*' || ifNoneMatch === blob.etag)) {
        res.status(304).end();
        return undefined;
      }
      res.set('Content-Length', String(blob.content.length));
      if (req.method === 'HEAD') res.status(200).end();
      else res.status(200).end(blob.content);
      return undefined;
    }
    case 'DELETE': {
      const result = deps.accounts.delete(c, t.blob);
      if (result === 'BlobNotFound') return blobErrors.blobNotFound();
      if (result === 'BlobImmutableDueToPolicy') return blobErrors.blobImmutable();
      commonHeaders(req, res);
      res.set('x-ms-delete-type-permanent', 'false');
      res.status(202).end();
      return undefined;
    }
    default:
      return blobErrors.unsupportedVerb();
  }
}

/** Handles requests for the sandbox's storage accounts; everything else passes through. */
export function blobRouter(deps: BlobRouterDeps): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const t = parseTarget(req, deps.accounts);
    if (t === undefined) {
      next();
      return;
    }
    if (t === 'invalid') {
      sendBlobError(req, res, blobErrors.invalidResourceName());
      return;
    }
    handle(req, res, deps, t).then(
      (err) => {
        if (!err) return;
        // An unread request body (a refused Put Blob) is drained so the connection stays usable.
        req.resume();
        sendBlobError(req, res, err);
      },
      (err: unknown) => next(err),
    );
  };
}
