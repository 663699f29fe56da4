/**
 * `elevate mcp`: Elevate's MCP server over stdio, for an AI agent that runs its MCP client on the
 * agent's own machine. Tool calls go to Elevate's agent API through the typed client, with a token
 * from the agent's managed identity; the service authenticates, decides and audits each one.
 * stdout carries only MCP messages; problems go to stderr.
 */
import type { Command } from 'commander';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createElevateClient } from '../../client/elevate-client.ts';
import { apiRoot } from '../../client/api-transport.ts';
import { loadMcpClientConfig } from '../../config/mcp-client-config.ts';
import { ConfigError } from '../../config/load-config.ts';
import { clientPort } from '../../mcp/client-port.ts';
import { createElevateMcpServer, MCP_SERVER_VERSION } from '../../mcp/elevate-mcp-server.ts';
import { CliError } from '../cli-output.ts';

export function registerMcpCommand(program: Command): void {
  program
    .command('mcp')
    .description("Serve Elevate's tools to an AI agent over MCP (stdio), authenticated as the agent's managed identity")
    .option('--url <url>', "Elevate's URL (default: ELEVATE_URL)")
    .option('--scope <scope>', "Elevate's API scope, api://{elevate-client-id}/.default (default: ELEVATE_API_SCOPE)")
    .option('--client-id <guid>', "client id of the agent's user-assigned managed identity (default: ELEVATE_AGENT_CLIENT_ID; none: system-assigned)")
    .action(async (opts: { url?: string; scope?: string; clientId?: string }) => {
      let config;
      try {
        config = loadMcpClientConfig(opts);
        apiRoot(config.elevateUrl);
      } catch (err) {
        if (err instanceof ConfigError || err instanceof Error) throw new CliError(err.message.split('\n')[0]!);
        throw err;
      }
      const client = createElevateClient({
        baseUrl: config.elevateUrl,
        scope: config.scope,
        ...(config.managedIdentityClientId ? { managedIdentityClientId: config.managedIdentityClientId } : {}),
      });
      const server = createElevateMcpServer(clientPort(client, config.elevateUrl), { version: MCP_SERVER_VERSION });
      const transport = new StdioServerTransport();
      const closed = new Promise<void>((resolve) => {
        transport.onclose = () => resolve();
        process.stdin.once('end', () => resolve());
      });
      await server.connect(transport);
      await closed;
      await server.close();
    });
}
