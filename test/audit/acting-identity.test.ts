import { describe, expect, it } from 'vitest';
import { actingIdentityOf, actingIdentityOfEntry } from '../../src/audit/acting-identity.ts';

const APPROVER = '11111111-2222-4333-8444-555555555555';
const UAMI = '9d0c1e2f-3a4b-4c5d-8e6f-708192a3b4c5';
const user = { kind: 'user', id: APPROVER };
const entry = (eventType: string, actingIdentity: string | null, actor: { kind: string; id: string }, agentId: string | null = 'a1') => ({ eventType, actingIdentity, actor, agentId });

describe('whose permissions an entry used', () => {
  it('reads agent:<id> as the managed identity, whoever triggered it', () => {
    for (const actor of [user, { kind: 'agent', id: 'a1' }, { kind: 'system', id: 'elevate' }]) {
      expect(actingIdentityOfEntry(entry('operation.transition', 'agent:a1', actor))).toEqual({ kind: 'managed-identity', id: 'agent:a1' });
    }
  });

  it('reads the acting user’s own object id as OBO', () => {
    expect(actingIdentityOfEntry(entry('operation.transition', APPROVER, user))).toEqual({ kind: 'obo', id: APPROVER });
    expect(actingIdentityOfEntry(entry('token.discarded', APPROVER, user))).toEqual({ kind: 'obo', id: APPROVER });
  });

  it('reads a UAMI principal id recorded before 011 as the agent’s managed identity, never as OBO', () => {
    // A consented write: the approving administrator was the actor, the UAMI's permissions were used.
    for (const eventType of ['operation.transition', 'arm.request', 'arm.response']) {
      expect(actingIdentityOfEntry(entry(eventType, UAMI, user))).toEqual({ kind: 'managed-identity', id: 'agent:a1', recorded: UAMI });
    }
    // A direct execution: the agent itself was the actor.
    expect(actingIdentityOfEntry(entry('arm.request', UAMI, { kind: 'agent', id: 'a1' }))).toMatchObject({ kind: 'managed-identity', id: 'agent:a1' });
  });

  it('keeps Elevate’s governance identity apart, and reads other ids as before 011 (OBO)', () => {
    expect(actingIdentityOfEntry(entry('level.assignment-create', 'elevate-governance', user))).toEqual({ kind: 'elevate', id: 'elevate-governance' });
    // Only execution entries of an agent ever carried a UAMI principal id.
    expect(actingIdentityOfEntry(entry('approval.decided', UAMI, user))).toEqual({ kind: 'obo', id: UAMI });
    expect(actingIdentityOfEntry(entry('arm.request', UAMI, user, null))).toEqual({ kind: 'obo', id: UAMI });
    // Elevate itself as the actor never ran with the UAMI before 011 (every execution names who triggered it).
    expect(actingIdentityOfEntry(entry('operation.transition', APPROVER, { kind: 'system', id: 'elevate' }))).toEqual({ kind: 'obo', id: APPROVER });
    // An agent is never on-behalf-of, even if its id were the recorded value.
    expect(actingIdentityOf({ eventType: 'arm.request', agentId: 'a1', actingIdentity: 'a1', actor: 'agent' })).toMatchObject({ kind: 'managed-identity' });
  });

  it('has nothing to say when nothing was recorded', () => {
    expect(actingIdentityOfEntry(entry('operation.transition', null, user))).toBeUndefined();
    expect(actingIdentityOfEntry(entry('operation.transition', '', user))).toBeUndefined();
  });
});
