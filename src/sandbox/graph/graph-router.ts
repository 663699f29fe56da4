/**
 * The part of Microsoft Graph v1.0 Elevate calls, on the sandbox's https origin, backed by the
 * sandbox directory:
 *
 * - GET /v1.0/users/{id | userPrincipalName}
 *   (https://learn.microsoft.com/graph/api/user-get): 404 `Request_ResourceNotFound` for an unknown
 *   user; a UPN compares case-insensitively.
 * - GET /v1.0/users?$filter=... (https://learn.microsoft.com/graph/api/user-list and
 *   https://learn.microsoft.com/graph/filter-query-parameter): `eq` on userPrincipalName, mail,
 *   mailNickname and displayName, `any(x:x eq '...')` on otherMails and proxyAddresses, joined by `or`; anything
 *   else is 400 `Request_UnsupportedQuery` here.
 *
 * - POST /v1.0/directoryObjects/{id}/checkMemberGroups with `{"groupIds": [...]}` (at most 20),
 *   answered `{"value": [...]}`: which of some groups an object (a managed identity's service
 *   principal too) is a transitive member of
 *   (https://learn.microsoft.com/graph/api/directoryobject-checkmembergroups); an unknown object is
 *   404 `Request_ResourceNotFound`.
 *
 * Each needs an access token for Graph holding one of the permissions its page lists: the user
 * reads User.Read.All (or User.ReadBasic.All, Directory.Read.All), checkMemberGroups
 * GroupMember.Read.All (or Group.Read.All, Directory.Read.All); an app without one gets 403
 * `Authorization_RequestDenied` (https://learn.microsoft.com/graph/api/user-get#permissions).
 */
import { randomUUID } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import type { SigningKeyStore } from '../keys/signing-keys.ts';
import type { TokenIssuer } from '../entra/token-issuer.ts';
import { verifySandboxToken } from '../entra/token-verifier.ts';
import type { Directory, DirectoryUser } from '../state/directory.ts';
import { GRAPH_APP_ID } from '../state/first-party-apps.ts';
import { GraphError, graphErrors, sendGraphError } from './graph-errors.ts';

export interface GraphContext {
  directory: Directory;
  keys: SigningKeyStore;
  issuer: TokenIssuer;
}

const GRAPH_AUDIENCES = [GRAPH_APP_ID, 'https://graph.microsoft.com', 'https://graph.microsoft.com/'];
interface Permissions {
  app: readonly string[];
  delegated: readonly string[];
}
const READ_USERS: Permissions = {
  app: ['User.Read.All', 'User.ReadBasic.All', 'Directory.Read.All', 'User.ReadWrite.All', 'Directory.ReadWrite.All'],
  delegated: ['User.ReadBasic.All', 'User.Read.All', 'Directory.Read.All'],
};
const READ_MEMBERSHIP: Permissions = {
  app: ['GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'Group.ReadWrite.All'],
  delegated: ['GroupMember.Read.All', 'Group.Read.All', 'Directory.Read.All'],
};
/** Graph's documented maximum of group ids in one checkMemberGroups call. */
export const CHECK_MEMBER_GROUPS_LIMIT = 20;

async function authorize(req: Request, ctx: GraphContext, needs: Permissions): Promise<void> {
  const m = /^Bearer ([^\s]+)$/i.exec((req.get('authorization') ?? '').trim());
  if (!m) throw graphErrors.invalidToken('Access token is empty.');
  const v = await verifySandboxToken(m[1]!, ctx.keys);
  if (!v.ok) throw graphErrors.invalidToken(v.reason === 'expired' ? 'Lifetime validation failed, the token is expired.' : 'Access token validation failure.');
  const c = v.claims;
  if (typeof c.aud !== 'string' || !GRAPH_AUDIENCES.includes(c.aud)) throw graphErrors.invalidToken('Access token validation failure. Invalid audience.');
  if (c.tid !== ctx.directory.tenantId || c.iss !== ctx.issuer.v1Issuer(ctx.directory.tenantId)) throw graphErrors.invalidToken('Access token validation failure. Invalid issuer.');
  const roles = Array.isArray(c.roles) ? c.roles.filter((r): r is string => typeof r === 'string') : [];
  const scopes = typeof c.scp === 'string' ? c.scp.split(' ') : [];
  const allowed = c.idtyp === 'app' ? roles.some((r) => needs.app.includes(r)) : scopes.some((s) => needs.delegated.includes(s));
  if (!allowed) throw graphErrors.insufficientPrivileges();
}

/** The default property set of a user (https://learn.microsoft.com/graph/api/resources/user), as far as the sandbox knows it. */
function userResource(u: DirectoryUser): Record<string, unknown> {
  return {
    id: u.oid,
    displayName: u.displayName,
    userPrincipalName: u.upn,
    mail: u.mail ?? null,
    mailNickname: u.mailNickname,
    businessPhones: [],
    givenName: null,
    surname: null,
    jobTitle: null,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
  };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The directory's users: members and invited guests; an uninvited personal account is not in it. */
const members = (ctx: GraphContext) => ctx.directory.users.filter((u) => u.invited);

function findUser(ctx: GraphContext, idOrUpn: string): DirectoryUser | undefined {
  const key = idOrUpn.toLowerCase();
  return members(ctx).find((u) => (GUID.test(key) ? u.oid === key : u.upn.toLowerCase() === key));
}

type Clause = { property: 'userPrincipalName' | 'mail' | 'displayName' | 'mailNickname'; value: string } | { collection: 'otherMails' | 'proxyAddresses'; value: string };

const STRING = `'((?:[^']|'')*)'`;
const EQ = new RegExp(`^(userPrincipalName|mail|displayName|mailNickname) eq ${STRING}$`, 'i');
const PROPERTIES = ['userPrincipalName', 'mail', 'displayName', 'mailNickname'] as const;
const ANY = new RegExp(`^(otherMails|proxyAddresses)/any\\((\\w+):\\s*\\2 eq ${STRING}\\)$`, 'i');

function parseFilter(filter: string): Clause[] {
  if (filter.length > 2048) throw graphErrors.badRequest('The $filter expression is too long.');
  const clauses: Clause[] = [];
  // `or` only between clauses; a quote inside a value is written twice ('').
  for (const part of filter.split(/ or (?=(?:[^']*'[^']*')*[^']*$)/i)) {
    const text = part.trim();
    const eq = EQ.exec(text);
    if (eq) {
      const property = PROPERTIES.find((p) => p.toLowerCase() === eq[1]!.toLowerCase())!;
      clauses.push({ property, value: eq[2]!.replace(/''/g, "'") });
      continue;
    }
    const any = ANY.exec(text);
    if (any) {
      clauses.push({ collection: any[1]!.toLowerCase() === 'othermails' ? 'otherMails' : 'proxyAddresses', value: any[3]!.replace(/''/g, "'") });
      continue;
    }
    throw graphErrors.unsupportedQuery('Unsupported or invalid query filter clause specified.');
  }
  return clauses;
}

function matches(u: DirectoryUser, c: Clause): boolean {
  const want = c.value.toLowerCase();
  if ('property' in c) {
    const have = c.property === 'userPrincipalName' ? u.upn : c.property === 'mail' ? u.mail : c.property === 'mailNickname' ? u.mailNickname : u.displayName;
    return have !== undefined && have.toLowerCase() === want;
  }
  return (c.collection === 'otherMails' ? u.otherMails : u.proxyAddresses).some((x) => x.toLowerCase() === want);
}

export function graphRouter(ctx: GraphContext): Router {
  const router = Router();
  const handle = (needs: Permissions, fn: (req: Request, res: Response) => void) => async (req: Request, res: Response) => {
    const requestId = randomUUID();
    try {
      await authorize(req, ctx, needs);
      res.set('request-id', requestId).set('client-request-id', req.get('client-request-id') ?? requestId);
      fn(req, res);
    } catch (err) {
      if (err instanceof GraphError) return sendGraphError(req, res, err, requestId);
      throw err;
    }
  };

  router.get(
    '/v1.0/users',
    handle(READ_USERS, (req, res) => {
      const filter = typeof req.query.$filter === 'string' ? req.query.$filter : undefined;
      const clauses = filter === undefined ? [] : parseFilter(filter);
      const found = members(ctx).filter((u) => clauses.length === 0 || clauses.some((c) => matches(u, c)));
      res.json({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users', value: found.map(userResource) });
    }),
  );
  router.get(
    '/v1.0/users/:idOrUpn',
    handle(READ_USERS, (req, res) => {
      const idOrUpn = String(req.params.idOrUpn);
      const user = findUser(ctx, idOrUpn);
      if (!user) throw graphErrors.userNotFound(idOrUpn.slice(0, 256));
      res.json({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...userResource(user) });
    }),
  );
  router.post(
    /^\/v1\.0\/(?:directoryObjects|servicePrincipals|users|groups)\/([^/]+)\/checkMemberGroups$/i,
    express.json({ limit: '64kb', strict: true }),
    handle(READ_MEMBERSHIP, (req, res) => {
      const id = (req.params as Record<string, string>)[0] ?? '';
      if (!GUID.test(id) || !ctx.directory.principal(id)) throw graphErrors.userNotFound(id.slice(0, 64));
      const body = req.body as { groupIds?: unknown } | undefined;
      const groupIds = body && Array.isArray(body.groupIds) ? body.groupIds : undefined;
      if (!groupIds || groupIds.length === 0 || !groupIds.every((g) => typeof g === 'string' && GUID.test(g))) {
        throw graphErrors.badRequest("Invalid value specified for property 'groupIds' of resource 'DirectoryObject'.");
      }
      if (groupIds.length > CHECK_MEMBER_GROUPS_LIMIT) {
        throw graphErrors.badRequest(`The number of elements in 'groupIds' exceeds the maximum of ${CHECK_MEMBER_GROUPS_LIMIT}.`);
      }
      const mine = new Set(ctx.directory.groupIdsOf(id).map((g) => g.toLowerCase()));
      res.json({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(Edm.String)', value: (groupIds as string[]).filter((g) => mine.has(g.toLowerCase())) });
    }),
  );
  return router;
}
