/**
 * Elevate's MCP server over Streamable HTTP (https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#streamable-http),
 * for remote agents. Every POST authenticates exactly as the agent API does (the agent's Entra
 * token for Elevate's API, a registered agent; refusals answered and audited by the same code)
 * and counts against the same per-agent rate limit. The server is stateless: each POST gets a
 * fresh server bound to the agent its token proved, so no session can outlive or swap identity.
 */
import type { RequestHandler } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createElevateMcpServer, MCP_SERVER_VERSION } from '../../mcp/elevate-mcp-server.ts';
import { operationsServicePort } from '../../mcp/operations-service-port.ts';
import type { OperationsService } from '../../operations/operations-service.ts';
import type { Agent } from '../../operations/operation-types.ts';
import { agentAuthentication, type createAgentAuthenticator } from './agent-authentication.ts';

export interface McpRouteDeps {
  service: OperationsService;
  authenticate: ReturnType<typeof createAgentAuthenticator>;
  rateLimit: RequestHandler;
  /** Elevate's public URL for approval page links; the request's own origin when unset. */
  publicUrl?: string | undefined;
}

export function mcpHandlers(deps: McpRouteDeps): RequestHandler[] {
  const handle: RequestHandler = (req, res, next) => {
    if (req.method !== 'POST') {
      // Stateless: no server-initiated stream (GET) and no session to end (DELETE).
      res.status(405).set('Allow', 'POST').set('Cache-Control', 'no-store').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: send JSON-RPC messages with POST' }, id: null });
      return;
    }
    const agent = res.locals.agent as Agent;
    const origin = deps.publicUrl ?? `${req.protocol}://${req.host}`;
    const server = createElevateMcpServer(operationsServicePort(deps.service, agent, origin), { version: MCP_SERVER_VERSION });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    res.set('Cache-Control', 'no-store');
    server
      .connect(transport)
      .then(() => transport.handleRequest(req, res, req.body))
      .catch(next);
  };
  return [agentAuthentication(deps.authenticate), deps.rateLimit, handle];
}
