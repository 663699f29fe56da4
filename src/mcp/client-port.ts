/**
 * The port over the typed client: `elevate mcp` on the agent's machine reaches Elevate through
 * the HTTP API with the agent's own credential, so the service authenticates, decides and audits
 * every tool call as it does any API call.
 */
import type { OperationInput } from '../client/api-types.ts';
import type { ElevateClient } from '../client/elevate-client.ts';
import type { ElevatePort } from './elevate-port.ts';

export function clientPort(client: ElevateClient, elevateUrl: string): ElevatePort {
  const base = elevateUrl.replace(/\/+$/, '');
  // The submission goes out as the model sent it; the API validates it, so the cast claims nothing.
  const asInput = (s: Record<string, unknown>) => s as unknown as OperationInput;
  return {
    decide: (s, o) => client.decide(asInput(s), o.signal ? { signal: o.signal } : {}),
    submit: (s, o) => client.submit(asInput(s), o.signal ? { signal: o.signal } : {}),
    wait: (id, o) => client.wait(id, o),
    list: (q, o) => client.list({ limit: q.limit, cursor: q.cursor, state: q.state }, o.signal ? { signal: o.signal } : {}),
    cancel: (id, o) => client.cancel(id, o.signal ? { signal: o.signal } : {}),
    approvalPageUrl: (id) => `${base}/approvals/${encodeURIComponent(id)}`,
  };
}
