/**
 * Requests and events for the notification tests. The justification and trigger reference are
 * hostile on purpose: mentions, links, markup and a token-shaped string the agent pasted.
 */
import type { OperationRequest } from '../../../src/operations/operation-types.ts';
import type { NotificationEvent } from '../../../src/notifications/notification-event.ts';
import { eventFromChange } from '../../../src/notifications/notification-event.ts';
import { parseNotificationsYaml } from './notifications-yaml.ts';
import { fakeJwt } from '../../support/fake-jwt.ts';

export const SUB = '3f2a9c1e-0000-4000-8000-00000000a001';
export const RESTART = `/subscriptions/${SUB}/resourceGroups/rg-sre-apps/providers/Microsoft.App/containerApps/app-frontend/revisions/app-frontend--rev1/restart`;
export const BODY_SECRET = 'P@ssw0rd-in-the-body-9f8e7d';
/** A JWT-shaped string (header.payload.signature) an agent might paste. */
export const PASTED_TOKEN = fakeJwt({ sub: 'agent' }, 'signature-that-is-long');

export const HOSTILE_JUSTIFICATION =
  `<!channel> @here restart *now* <https://evil.example/phish|click here> [approve](https://evil.example/x) <script>alert(1)</script> & www.evil.example token: ${PASTED_TOKEN} Authorization: Bearer abcdefghijklmnop1234`;

export function pendingRequest(overrides: Partial<OperationRequest> = {}): OperationRequest {
  return {
    id: 'req-0001',
    agentId: 'agent-1',
    idempotencyKey: 'k1',
    state: 'pending_elevation',
    version: 0,
    operation: { method: 'POST', path: RESTART, apiVersion: '2024-03-01', body: { properties: { adminPassword: BODY_SECRET }, location: 'westeurope' } },
    operationHash: 'h',
    justification: HOSTILE_JUSTIFICATION,
    trigger: { kind: 'incident', ref: 'INC-42 <@U0123> https://evil.example', requestedBy: 'sam@contoso.com' },
    decision: {
      outcome: 'pending_elevation',
      reasonCode: 'missing_permission',
      explanation: 'x',
      action: 'Microsoft.App/containerApps/revisions/restart/action',
      scope: RESTART.replace(/\/restart$/, ''),
      isWrite: true,
      runMode: 'Autonomous',
      wouldBeGrantedBy: [],
    },
    createdAt: '2026-12-04T10:00:00.000Z',
    updatedAt: '2026-12-04T10:00:00.000Z',
    expiresAt: '2026-12-04T11:00:00.000Z',
    ...overrides,
  };
}

export function raisedEvent(overrides: Partial<OperationRequest> = {}, agentName = 'sre-agent'): NotificationEvent {
  const request = pendingRequest(overrides);
  return eventFromChange({ kind: 'state', request, from: null, at: request.createdAt, audited: true }, 'evt-1', agentName)!;
}

export const ALL_CHANNELS_POLICY = parseNotificationsYaml(`
channels:
  teams: { type: teams, urlEnv: ELEVATE_NOTIFY_TEAMS_URL }
  slack: { type: slack, urlEnv: ELEVATE_NOTIFY_SLACK_URL }
  mail: { type: email, smtpUrlEnv: ELEVATE_NOTIFY_SMTP_URL, from: elevate@contoso.com, to: [oncall@contoso.com] }
  hook: { type: webhook, urlEnv: ELEVATE_NOTIFY_HOOK_URL, secretEnv: ELEVATE_NOTIFY_HOOK_SECRET }
routes:
  - name: everything
    events: [request.raised, approval.recorded, request.executed, request.failed, request.denied, request.expired, drift.found, audit.verification_failed]
    channels: [teams, slack, mail, hook]
`);
