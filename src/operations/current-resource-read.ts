/**
 * Reads the resource a PATCH applies to, so content rules can see what the PATCH leaves behind
 * (`merged`). The read goes through the ARM pipeline client with the agent's own managed identity:
 * Elevate learns nothing the agent could not read itself, and a resource the agent cannot read is
 * "not known", which holds the request for an administrator. The body is handed to the rules only;
 * it is never logged or stored.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { ArmPipelineClient } from '../azure/arm-pipeline-client.ts';
import type { Logger } from '../observability/logger.ts';
import type { CurrentResource } from '../policies/request-facts.ts';
import type { Agent } from './operation-types.ts';

export interface CurrentResourceReaderDeps {
  armClientFor(credential: TokenCredential): ArmPipelineClient;
  agentCredential(agent: Agent): TokenCredential;
  /** a decision waits at most this long for the read (default 10 s); then the rules hold */
  timeoutMs?: number;
  logger?: Logger | undefined;
}

/** ARM's error code, when it is one (a word, not free text to repeat). */
function armErrorCode(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' && /^[A-Za-z]{1,60}$/.test(code) ? code : undefined;
}

export function createCurrentResourceReader(deps: CurrentResourceReaderDeps) {
  const timeoutMs = deps.timeoutMs ?? 10_000;
  return async (agent: Agent, path: string, apiVersion: string): Promise<CurrentResource> => {
    try {
      const response = await deps.armClientFor(deps.agentCredential(agent)).armRequest({
        method: 'GET',
        path,
        apiVersion,
        purpose: 'content_rule_read',
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
      if (response.status === 200 && typeof response.body === 'object' && response.body !== null) return { known: true, value: response.body };
      const code = armErrorCode(response.body);
      return { known: false, why: `ARM answered ${response.status}${code ? ` ${code}` : ''} to the agent's read of it` };
    } catch (err) {
      deps.logger?.warn({ agentId: agent.id, reason: err instanceof Error ? err.name : 'unknown' }, 'could not read the resource a PATCH applies to; content rules that need it hold the request');
      return { known: false, why: 'ARM could not be reached' };
    }
  };
}
