/**
 * Who is calling the agent API. The caller presents an Entra access token for Elevate's API; it
 * must validate (signature against the tenant's keys, issuer, tenant, audience, expiry), be an
 * app-only token, and its `oid` and client id (`azp`/`appid`) must both be the managed identity
 * of one registered agent. The token itself is never stored, logged or echoed.
 */
import type { Request, RequestHandler } from 'express';
import type { ApiTokenClaims, ApiTokenValidator } from '../../azure/api-token-validator.ts';
import { bearerClaims } from '../../azure/bearer-claims.ts';
import type { Logger } from '../../observability/logger.ts';
import { authRefusedEntry } from '../../operations/operation-audit.ts';
import type { Agent, AgentDirectory } from '../../operations/operation-types.ts';
import type { AuditSink } from '../../operations/request-lifecycle.ts';

export interface AgentAuthDeps {
  validateToken: ApiTokenValidator;
  agents: AgentDirectory;
  audit: AuditSink;
  logger?: Logger | undefined;
}

export type AgentAuthResult =
  | { ok: true; agent: Agent; claims: ApiTokenClaims }
  | { ok: false; status: 401 | 403 | 503; code: string; message: string };

export function createAgentAuthenticator(deps: AgentAuthDeps) {
  const refuse = async (status: 401 | 403, code: string, message: string, who: { oid?: string; clientAppId?: string } = {}): Promise<AgentAuthResult> => {
    // A caller without an identity learns nothing about the audit log's health: the refusal stands either way.
    await deps.audit.append(authRefusedEntry(code, message, who)).catch((err: unknown) => deps.logger?.error({ err }, 'audit append of an authentication refusal failed'));
    return { ok: false, status, code, message };
  };

  return async function authenticate(req: Request): Promise<AgentAuthResult> {
    const bearer = await bearerClaims(req.headers.authorization, deps.validateToken);
    if (!bearer.ok) {
      if (bearer.problem === 'missing') return { ok: false, status: 401, code: 'unauthorized', message: 'a bearer access token for Elevate\'s API is required' };
      if (bearer.problem === 'keys_unavailable') return { ok: false, status: 503, code: 'keys_unavailable', message: 'the tenant signing keys could not be loaded; try again' };
      return refuse(401, 'invalid_token', bearer.problem === 'not_bearer' ? 'the Authorization header is not a bearer token' : `invalid token: ${bearer.message}`);
    }
    const { claims } = bearer;
    // `who` (for the refusal's audit entry) is made only when refusing: this runs on every agent call.
    if (claims.principalType !== 'app' || (claims.idtyp !== undefined && claims.idtyp !== 'app')) {
      return refuse(403, 'not_an_agent', 'the agent API accepts only an agent identity\'s app-only token, not a user\'s', { oid: claims.oid, clientAppId: claims.clientAppId });
    }
    const agent = await deps.agents.findByIdentity(claims.oid);
    if (!agent || agent.uamiClientId.toLowerCase() !== claims.clientAppId.toLowerCase() || agent.tenantId.toLowerCase() !== claims.tid.toLowerCase()) {
      return refuse(403, 'not_an_agent', 'the calling identity is not a registered agent', { oid: claims.oid, clientAppId: claims.clientAppId });
    }
    return { ok: true, agent, claims };
  };
}

/** Puts the authenticated agent on `res.locals.agent`, or answers the refusal. */
export function agentAuthentication(authenticate: ReturnType<typeof createAgentAuthenticator>): RequestHandler {
  return async (req, res, next) => {
    const result = await authenticate(req);
    if (!result.ok) {
      sendAuthRefusal(res, result);
      return;
    }
    res.locals.agent = result.agent;
    next();
  };
}

export function sendAuthRefusal(res: import('express').Response, r: Extract<AgentAuthResult, { ok: false }>): void {
  if (r.status === 401) res.set('WWW-Authenticate', r.code === 'unauthorized' ? 'Bearer realm="elevate"' : 'Bearer realm="elevate", error="invalid_token"');
  res.status(r.status).set('Cache-Control', 'no-store').json({ error: { code: r.code, message: r.message } });
}
