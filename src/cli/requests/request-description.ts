import { terminalSafe } from './terminal-safe.ts';

/**
 * What `elevate requests show` and `approve` print about a request before anything is decided:
 * the whole operation an approval is bound to (its operationHash covers the query and the body
 * too), then who asked and why. Agent-supplied text is shown through terminalSafe.
 */
export function describeRequest(r: Record<string, unknown>): string[] {
  const op = (r.operation ?? {}) as Record<string, unknown>;
  const agent = (r.agent ?? {}) as Record<string, unknown>;
  const lines = [
    `request    ${terminalSafe(r.id)} (${terminalSafe(r.state)})`,
    `operation  ${terminalSafe(op.method)} ${terminalSafe(op.path)} (api-version ${terminalSafe(op.apiVersion)})`,
  ];
  const query = op.query;
  if (query !== null && typeof query === 'object' && Object.keys(query).length > 0) {
    lines.push(`query      ${Object.entries(query as Record<string, unknown>).map(([k, v]) => `${terminalSafe(k)}=${terminalSafe(v)}`).join(' ')}`);
  }
  // The body as JSON on one line: a PUT or PATCH is approved with it, so it is never left out.
  if (op.body !== undefined && op.body !== null) lines.push(`body       ${terminalSafe(JSON.stringify(op.body))}`);
  lines.push(
    `action     ${terminalSafe(r.action)}`,
    `agent      ${terminalSafe(agent.name ?? agent.id)}`,
    `asked by   ${terminalSafe(r.requestedBy)} (as the agent says)`,
    `reason     ${terminalSafe(r.justification)} (as the agent says)`,
  );
  return lines;
}
