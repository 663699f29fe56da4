import { describe, expect, it } from 'vitest';
import type { RequestOverview } from '../../../src/approvals/approvals-module.ts';
import { requestDetail } from '../../../src/web/api/admin-request-view.ts';

const ALERT = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sre-apps/providers/Microsoft.AlertsManagement/alerts/a1/changestate';

function overview(operation: Record<string, unknown>): RequestOverview {
  return {
    request: {
      id: 'r-1',
      agentId: 'agent-1',
      state: 'pending_consent',
      operation,
      operationHash: 'h'.repeat(64),
      decision: { outcome: 'require_approval', reasonCode: 'review_write', explanation: 'a write in Review mode', action: 'Microsoft.AlertsManagement/alerts/changestate/action', scope: ALERT },
      trigger: { kind: 'incident' },
      createdAt: '2026-12-07T10:00:00.000Z',
      version: 0,
    },
    agent: undefined,
    requester: undefined,
    approvals: [],
    required: 1,
    history: [],
  } as unknown as RequestOverview;
}

describe('the administrator API\'s request detail', () => {
  it('shows the whole operation an approval is bound to: its query and its body', () => {
    const detail = requestDetail(overview({ method: 'POST', path: ALERT, apiVersion: '2024-01-01-preview', query: { newState: 'Closed' }, body: { comment: 'resolved' } }));
    expect(detail.operation).toEqual({ method: 'POST', path: ALERT, apiVersion: '2024-01-01-preview', query: { newState: 'Closed' }, body: { comment: 'resolved' } });
    const plain = requestDetail(overview({ method: 'POST', path: ALERT, apiVersion: '2024-01-01-preview' }));
    expect(plain.operation).toMatchObject({ query: null, body: null });
  });
});
