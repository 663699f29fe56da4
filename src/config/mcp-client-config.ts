/**
 * What `elevate mcp` needs, on the agent's machine: where Elevate is, the API scope to ask the
 * agent's managed identity for, and which user-assigned identity is the agent's. Flags win over
 * the environment; the result is validated before anything connects.
 */
import { z } from 'zod';
import { ConfigError } from './load-config.ts';

export interface McpClientConfig {
  elevateUrl: string;
  scope: string;
  /** The agent's user-assigned managed identity; absent: the system-assigned identity. */
  managedIdentityClientId: string | undefined;
}

const schema = z.strictObject({
  elevateUrl: z.url({ protocol: /^https?$/, error: 'expected Elevate\'s URL, e.g. https://elevate.contoso.com' }),
  scope: z
    .string({ error: 'is required: Elevate\'s API scope, e.g. api://{elevate-client-id}/.default' })
    .regex(/^\S+\/\.default$/, 'expected the form api://{elevate-client-id}/.default (a managed identity asks for a resource\'s /.default scope)'),
  managedIdentityClientId: z.uuid('expected the client id (a GUID) of the agent\'s user-assigned managed identity').optional(),
});

const NAMES: Record<keyof McpClientConfig, string> = { elevateUrl: 'ELEVATE_URL / --url', scope: 'ELEVATE_API_SCOPE / --scope', managedIdentityClientId: 'ELEVATE_AGENT_CLIENT_ID / --client-id' };

export function loadMcpClientConfig(flags: { url?: string | undefined; scope?: string | undefined; clientId?: string | undefined }, env: NodeJS.ProcessEnv = process.env): McpClientConfig {
  const raw = {
    elevateUrl: flags.url ?? env.ELEVATE_URL,
    scope: flags.scope ?? env.ELEVATE_API_SCOPE,
    managedIdentityClientId: flags.clientId ?? (env.ELEVATE_AGENT_CLIENT_ID || undefined),
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path[0] as keyof McpClientConfig;
    throw new ConfigError(`${NAMES[key] ?? String(key)}: ${raw[key] === undefined ? 'is required' : issue.message}`);
  }
  return { elevateUrl: parsed.data.elevateUrl, scope: parsed.data.scope, managedIdentityClientId: parsed.data.managedIdentityClientId };
}
