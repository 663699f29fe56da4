import { describe, expect, it } from 'vitest';
import { eventForAlertState, incidentTransition } from '../../src/incidents/incident-state.ts';

describe('the incident state machine', () => {
  it('acknowledges an open incident and resolves open or acknowledged ones', () => {
    expect(incidentTransition('open', 'acknowledged')).toEqual({ ok: true, to: 'acknowledged' });
    expect(incidentTransition('open', 'closed')).toEqual({ ok: true, to: 'resolved' });
    expect(incidentTransition('acknowledged', 'closed')).toEqual({ ok: true, to: 'resolved' });
    expect(incidentTransition('acknowledged', 'monitor_resolved')).toEqual({ ok: true, to: 'resolved' });
  });

  it('treats repeats as no change, and never reopens or re-acknowledges a resolved incident', () => {
    expect(incidentTransition('acknowledged', 'acknowledged')).toMatchObject({ ok: false, reason: 'unchanged' });
    expect(incidentTransition('resolved', 'closed')).toMatchObject({ ok: false, reason: 'unchanged' });
    expect(incidentTransition('resolved', 'acknowledged')).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('refuses states and events outside the vocabulary', () => {
    expect(incidentTransition('reopened' as never, 'closed')).toMatchObject({ ok: false, reason: 'invalid' });
    expect(incidentTransition('open', 'deleted' as never)).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('maps the alert states ARM accepts to events; New moves nothing', () => {
    expect(eventForAlertState('Acknowledged')).toBe('acknowledged');
    expect(eventForAlertState('Closed')).toBe('closed');
    expect(eventForAlertState('New')).toBeUndefined();
    expect(eventForAlertState(undefined)).toBeUndefined();
  });
});
