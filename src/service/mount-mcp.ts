/**
 * Mounts Elevate's MCP endpoint (Streamable HTTP) at /api/v1/mcp, over the agent API's own
 * operations service, authentication and rate limit: one decision path, whatever the protocol.
 */
import type { WebRoute } from '../web/create-web-app.ts';
import { mcpHandlers } from '../web/api/mcp-routes.ts';
import type { OperationsApi } from '../web/api/operations-api.ts';
import { API_BASE_PATH } from '../web/api/agent-api-paths.ts';
import type { ServiceContext } from './service-context.ts';

export const MCP_PATH = `${API_BASE_PATH}/mcp`;

export function mountMcp(ctx: Pick<ServiceContext, 'config'>, operations: Pick<OperationsApi, 'module' | 'authenticate' | 'rateLimit'>): WebRoute {
  return {
    path: MCP_PATH,
    handlers: mcpHandlers({
      service: operations.module.service,
      authenticate: operations.authenticate,
      rateLimit: operations.rateLimit,
      publicUrl: ctx.config.http.publicUrl,
    }),
  };
}
