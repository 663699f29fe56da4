import { describe, expect, it } from 'vitest';
import { inWindow, isQuiet, routeEvent } from '../../src/notifications/notification-routing.ts';
import { pendingRequest, raisedEvent } from './support/notification-fixtures.ts';
import { parseNotificationsYaml } from './support/notifications-yaml.ts';

const policy = parseNotificationsYaml(`
channels:
  teams: { type: teams, urlEnv: ELEVATE_NOTIFY_TEAMS_URL }
  slack: { type: slack, urlEnv: ELEVATE_NOTIFY_SLACK_URL }
  off: { type: slack, enabled: false, urlEnv: ELEVATE_NOTIFY_OFF_URL }
routes:
  - name: incidents
    events: [request.raised]
    triggerKinds: [incident]
    channels: [teams, off]
  - name: sre-agent-autonomous
    events: [request.raised, request.failed]
    agents: [SRE-Agent]
    runModes: [Autonomous]
    channels: [teams, slack]
  - name: disabled
    enabled: false
    events: [request.raised]
    channels: [slack]
quiet:
  - name: chat-at-night
    events: [request.raised]
    triggerKinds: [chat]
    between: { from: "22:00", to: "07:00" }
`);
const noon = new Date('2026-12-04T12:00:00Z');
const night = new Date('2026-12-04T23:30:00Z');

describe('routeEvent', () => {
  it('sends to each matching route’s enabled channels, a channel named twice once', () => {
    expect(routeEvent(policy, raisedEvent(), noon)).toEqual([
      { route: 'incidents', channel: 'teams' },
      { route: 'sre-agent-autonomous', channel: 'slack' },
    ]);
  });

  it('matches agents by name or id, case-insensitively', () => {
    expect(routeEvent(policy, raisedEvent({ trigger: { kind: 'manual' } }, 'other-agent'), noon)).toEqual([]);
    const byId = parseNotificationsYaml(`
channels: { s: { type: slack, urlEnv: ELEVATE_NOTIFY_S } }
routes: [{ name: r, events: [request.raised], agents: [AGENT-1], channels: [s] }]
`);
    expect(routeEvent(byId, raisedEvent({}, 'whatever'), noon)).toHaveLength(1);
  });

  it('filters by trigger kind and run mode', () => {
    const review = raisedEvent({ trigger: { kind: 'manual' }, decision: { ...pendingRequest().decision, runMode: 'Review' } });
    expect(routeEvent(policy, review, noon)).toEqual([]);
  });

  it('a disabled route sends nothing; an unlisted event goes nowhere', () => {
    const p = parseNotificationsYaml(`
channels: { s: { type: slack, urlEnv: ELEVATE_NOTIFY_S } }
routes: [{ name: r, enabled: false, events: [request.raised], channels: [s] }]
`);
    expect(routeEvent(p, raisedEvent(), noon)).toEqual([]);
    expect(routeEvent(policy, { ...raisedEvent(), type: 'request.denied' }, noon)).toEqual([]);
  });

  it('a quiet rule silences matching events inside its window only', () => {
    const chat = raisedEvent({ trigger: { kind: 'chat' } });
    const quietPolicy = { ...policy, routes: [{ ...policy.routes[1]!, events: ['request.raised' as const] }] };
    expect(routeEvent(quietPolicy, chat, noon)).toHaveLength(2);
    expect(routeEvent(quietPolicy, chat, night)).toEqual([]);
    expect(isQuiet(policy.quiet, raisedEvent(), night)).toBeUndefined();
  });

  it('windows wrap past midnight', () => {
    expect(inWindow({ from: '22:00', to: '07:00' }, new Date('2026-01-01T06:59:00Z'))).toBe(true);
    expect(inWindow({ from: '22:00', to: '07:00' }, new Date('2026-01-01T07:00:00Z'))).toBe(false);
    expect(inWindow({ from: '09:00', to: '17:00' }, new Date('2026-01-01T12:00:00Z'))).toBe(true);
    expect(inWindow({ from: '09:00', to: '17:00' }, new Date('2026-01-01T18:00:00Z'))).toBe(false);
  });
});
