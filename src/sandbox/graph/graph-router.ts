import express, { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { TokenIssuer } from '../entra/token-issuer.ts';
import { verifySandboxToken } from '../entra/token-verifier.ts';
import type { SigningKeyStore } from '../keys/signing-keys.ts';
import type { Directory } from '../state/directory.ts';
import { GRAPH_APP_ID } from '../state/first-party-apps.ts';

/**
 * The one Microsoft Graph operation Elevate uses: which of some groups a directory object is a
 * (transitive) member of, `POST /v1.0/directoryObjects/{id}/checkMemberGroups` with
 * `{"groupIds": [...]}` (at most 20), answered `{"value": [...]}`.
 * https://learn.microsoft.com/en-us/graph/api/directoryobject-checkmembergroups
 *
 * Like Graph: a v1 app token for Graph is required; app-only callers need one of the application
 * permissions the page lists (GroupMember.Read.All, Group.Read.All, Directory.Read.All, ...),
 * otherwise 403 Authorization_RequestDenied; an unknown object is 404 Request_ResourceNotFound.
 * Graph's error body is `{"error":{"code","message","innerError":{...}}}`.
 */

export interface GraphContext {
  directory: Directory;
  keys: SigningKeyStore;
  issuer: TokenIssuer;
  logger: Logger;
}

const GRAPH_AUDIENCES = [GRAPH_APP_ID, 'https://graph.microsoft.com', 'https://graph.microsoft.com/'];
const MEMBER_READ_PERMISSIONS = ['GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'Group.ReadWrite.All'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Graph's documented maximum of group ids in one checkMemberGroups call. */
export const CHECK_MEMBER_GROUPS_LIMIT = 20;

function graphError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': crypto.randomUUID(), 'client-request-id': crypto.randomUUID() } } });
}

export function graphRouter(ctx: GraphContext): Router {
  const router = Router();
  const json = express.json({ limit: '64kb', strict: true });

  router.post(/^\/v1\.0\/(?:directoryObjects|servicePrincipals|users|groups)\/([^/]+)\/checkMemberGroups$/i, json, async (req: Request, res: Response) => {
    const header = req.get('authorization');
    const m = header ? /^Bearer ([^\s]+)$/i.exec(header.trim()) : null;
    if (!m) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
    const v = await verifySandboxToken(m[1]!, ctx.keys);
    if (!v.ok) return graphError(res, 401, 'InvalidAuthenticationToken', v.reason === 'expired' ? 'Lifetime validation failed, the token is expired.' : 'Access token validation failure. Invalid audience.');
    const c = v.claims;
    if (!GRAPH_AUDIENCES.includes(String(c.aud)) || c.tid !== ctx.directory.tenantId || c.iss !== ctx.issuer.v1Issuer(ctx.directory.tenantId)) {
      return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    }
    const roles = Array.isArray(c.roles) ? (c.roles as unknown[]).filter((r): r is string => typeof r === 'string') : [];
    if (c.idtyp === 'app' && !roles.some((r) => MEMBER_READ_PERMISSIONS.includes(r))) {
      return graphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    const id = (req.params as Record<string, string>)[0] ?? '';
    if (!GUID.test(id) || !ctx.directory.principal(id)) {
      return graphError(res, 404, 'Request_ResourceNotFound', `Resource '${id.slice(0, 64)}' does not exist or one of its queried reference-property objects are not present.`);
    }
    const body = req.body as { groupIds?: unknown } | undefined;
    const groupIds = body && Array.isArray(body.groupIds) ? body.groupIds : undefined;
    if (!groupIds || groupIds.length === 0 || !groupIds.every((g) => typeof g === 'string' && GUID.test(g))) {
      return graphError(res, 400, 'Request_BadRequest', "Invalid value specified for property 'groupIds' of resource 'DirectoryObject'.");
    }
    if (groupIds.length > CHECK_MEMBER_GROUPS_LIMIT) {
      return graphError(res, 400, 'Request_BadRequest', `The number of elements in 'groupIds' exceeds the maximum of ${CHECK_MEMBER_GROUPS_LIMIT}.`);
    }
    const mine = new Set(ctx.directory.groupIdsOf(id).map((g) => g.toLowerCase()));
    res.json({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)', value: (groupIds as string[]).filter((g) => mine.has(g.toLowerCase())) });
  });
  return router;
}
