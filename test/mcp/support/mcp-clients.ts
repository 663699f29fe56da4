/**
 * The MCP SDK's own client, connected the two ways an AI agent connects to Elevate: spawning
 * `elevate mcp` (stdio) with the agent's environment, or over Streamable HTTP to /api/v1/mcp with
 * the agent's bearer token.
 */
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const BIN = fileURLToPath(new URL('../../../bin/elevate.js', import.meta.url));

export interface McpSession {
  client: Client;
  call(name: string, args: Record<string, unknown>): Promise<{ data: Record<string, unknown>; isError: boolean; text: string }>;
  /** what `elevate mcp` wrote on stderr (stdio only) */
  stderr(): string;
  close(): Promise<void>;
}

function session(client: Client, stderr: () => string): McpSession {
  return {
    client,
    async call(name, args) {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      const text = result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
      return { data: (result.structuredContent ?? {}) as Record<string, unknown>, isError: result.isError === true, text };
    },
    stderr,
    close: () => client.close(),
  };
}

/** `elevate mcp` as the agent's MCP client starts it: a child process speaking MCP on stdio. */
export async function stdioSession(env: Record<string, string>): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp'],
    env: { ...(process.env as Record<string, string>), ...env },
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const client = new Client({ name: 'elevate-test-agent', version: '1.0.0' });
  await client.connect(transport);
  return session(client, () => err);
}

/** Over Streamable HTTP with the agent's bearer token on every POST. */
export async function httpSession(url: string, token: string | undefined): Promise<McpSession> {
  const transport = new StreamableHTTPClientTransport(new URL(url), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {});
  const client = new Client({ name: 'elevate-test-agent', version: '1.0.0' });
  await client.connect(transport);
  return session(client, () => '');
}
