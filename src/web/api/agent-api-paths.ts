/**
 * The paths of the agent API. The agent authenticates with a bearer token on every call and
 * never holds a browser session, so browser-only middleware (sessions, CSRF token provision) is
 * skipped there: no session work per call, and no cookie can stand in for the agent's identity.
 */
import type { RequestHandler } from 'express';

export const API_BASE_PATH = '/api/v1';
/** Alert intake (src/incidents): Azure Monitor's secure webhook and other tools. */
export const ALERTS_PATH = `${API_BASE_PATH}/alerts`;
// incidents: the agent's; alerts: Azure Monitor and other senders (no browser session either way)
const AGENT_API = /^\/api\/v1\/(operations|decisions|openapi\.json|incidents|alerts)(\/|$)/;

export function isAgentApiPath(path: string): boolean {
  return AGENT_API.test(path);
}

/** Runs `middleware` for everything but the agent API. */
export function exceptOnAgentApi(middleware: RequestHandler): RequestHandler {
  return (req, res, next) => (isAgentApiPath(req.path) ? next() : middleware(req, res, next));
}
