import { errorResult, toolResult } from '../tool-results.ts';
import { listToolInput } from '../tool-schemas.ts';
import { argumentRefusal } from './argument-refusal.ts';
import type { ToolDefinition } from './tool-definition.ts';

export const elevateListRequests: ToolDefinition = {
  name: 'elevate_list_requests',
  title: 'List your Elevate requests',
  description:
    'Lists your own requests to Elevate, newest first, optionally only those in one state (for example pending_elevation for the ones waiting for an administrator). Pass nextCursor as cursor for older ones.',
  input: listToolInput,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, { port, signal }) {
    const parsed = listToolInput.safeParse(args);
    if (!parsed.success) return argumentRefusal(parsed.error);
    const page = await port.list({ limit: parsed.data.limit ?? 20, cursor: parsed.data.cursor, state: parsed.data.state }, { signal });
    if (!page.ok) return errorResult(page.error);
    return toolResult({
      requests: page.value.items.map((r) => ({
        requestId: r.id,
        state: r.state,
        method: r.operation.method,
        path: r.operation.path,
        createdAt: r.createdAt,
        ...(r.expiresAt ? { expiresAt: r.expiresAt } : {}),
      })),
      nextCursor: page.value.nextCursor,
    });
  },
};
