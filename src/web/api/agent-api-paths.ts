/**
 * The paths of the agent API. The agent authenticates with a bearer token on every call and
 * never holds a browser session, so browser-only middleware (sessions, CSRF token provision) is
 * skipped there: no session work per call, and no cookie can stand in for the agent's identity.
 */
import type { RequestHandler } from 'express';

export const API_BASE_PATH = '/api/v1';
/** Alert intake (src/incidents): Azure Monitor's secure webhook and other tools. */
export const ALERTS_PATH = `${API_BASE_PATH}/alerts`;
// `requests`: the administrator API (admin-requests-routes.ts); `level-raises`: the agent's time-bound
// raises; `mcp`: the MCP endpoint; `incidents`: the agent's; `alerts`: Azure Monitor and other senders.
// All take bearer tokens (or a sender's signature) only, never a browser session.
const AGENT_API = /^\/api\/v1\/(operations|decisions|requests|level-raises|openapi\.json|mcp|incidents|alerts)(\/|$)/;

export function isAgentApiPath(path: string): boolean {
  return AGENT_API.test(path);
}

/** Runs `middleware` for everything but the agent API. */
export function exceptOnAgentApi(middleware: RequestHandler): RequestHandler {
  return (req, res, next) => (isAgentApiPath(req.path) ? next() : middleware(req, res, next));
}
