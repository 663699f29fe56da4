import { describe, expect, it } from 'vitest';
import { checkOnBehalfOf, checkRaiseRequest } from '../../src/raises/raise-request-check.ts';
import { RaiseInputError } from '../../src/raises/raise-types.ts';

const RG = '/subscriptions/b1995c7e-f47d-4afd-b2fc-8cf38f44e21d/resourceGroups/rg-sre-apps';
const OTHER = '/subscriptions/b1995c7e-f47d-4afd-b2fc-8cf38f44e21d/resourceGroups/rg-sre-vms';
const agent = { level: 'Reader' as const, resourceGroupIds: [RG, OTHER] };
const rule = { requesterMayApprove: false, approversRequired: 1, maxDurationMinutes: 480 };
const ok = { resourceGroupIds: [RG], targetLevel: 'Privileged', durationMinutes: 120, justification: 'INC-1: restarts needed', triggerRef: 'INC-1' };

const code = (input: Record<string, unknown>, a: { level: 'Reader' | 'Privileged'; resourceGroupIds: string[] } = agent) => {
  try {
    checkRaiseRequest({ ...ok, ...input }, a, rule);
  } catch (err) {
    if (err instanceof RaiseInputError) return err.code;
    throw err;
  }
  return 'ok';
};

describe('checkRaiseRequest', () => {
  it('accepts a subset of the managed groups, canonicalised (case, trailing slash, duplicates)', () => {
    const c = checkRaiseRequest({ ...ok, resourceGroupIds: [`${RG.toUpperCase()}/`, RG] }, agent, rule);
    expect(c).toEqual({ resourceGroupIds: [RG], targetLevel: 'Privileged', durationMinutes: 120, justification: 'INC-1: restarts needed', triggerRef: 'INC-1' });
  });

  it('caps the duration by policy', () => {
    expect(code({ durationMinutes: 480 })).toBe('ok');
    expect(code({ durationMinutes: 481 })).toBe('beyond_policy_cap');
    for (const d of [0, -5, 1.5, '60', null, 1e20]) expect(code({ durationMinutes: d })).toMatch(/invalid_duration|beyond_policy_cap/);
  });

  it('refuses a group the agent does not manage, or none, or a malformed list', () => {
    expect(code({ resourceGroupIds: ['/subscriptions/b1995c7e-f47d-4afd-b2fc-8cf38f44e21d/resourceGroups/rg-data'] })).toBe('unmanaged_resource_group');
    expect(code({ resourceGroupIds: [] })).toBe('invalid_resource_groups');
    expect(code({ resourceGroupIds: RG })).toBe('invalid_resource_groups');
    expect(code({ resourceGroupIds: [{ id: RG }] })).toBe('invalid_resource_groups');
  });

  it('only raises: the target must be a known level above the agent’s own', () => {
    expect(code({ targetLevel: 'Owner' })).toBe('invalid_level');
    expect(code({ targetLevel: 'Reader' })).toBe('not_a_raise');
    expect(code({}, { level: 'Privileged', resourceGroupIds: [RG] })).toBe('not_a_raise');
  });

  it('treats the justification and trigger as hostile text', () => {
    expect(code({ justification: '' })).toBe('invalid_justification');
    expect(code({ justification: 'x'.repeat(501) })).toBe('invalid_justification');
    expect(code({ justification: 'fine\u202eenif' })).toBe('invalid_justification');
    expect(code({ justification: 'a\u0000b' })).toBe('invalid_justification');
    // Invisible marks that reorder or hide text to the approver, and half a UTF-16 pair (which
    // PostgreSQL's text could not hold), as for every other free text.
    for (const hidden of ['fine\u200fenif', 'ok\u200b', 'a\u2028b', '\ufeffok', 'x\u061cy', 'a\ud800b']) expect(code({ justification: hidden })).toBe('invalid_justification');
    expect(code({ justification: 'line one\nline two\twith a tab' })).toBe('ok');
    expect(code({ triggerRef: '<script>' })).toBe('invalid_trigger');
    expect(code({ triggerRef: 42 })).toBe('invalid_trigger');
    expect(code({ triggerRef: undefined })).toBe('ok');
  });

  it('checks the person an agent names as operations check trigger.requestedBy: trimmed, at most 256 clean characters', () => {
    expect(checkOnBehalfOf(' sam@contoso.example ')).toBe('sam@contoso.example');
    expect(checkOnBehalfOf('s'.repeat(256))).toBe('s'.repeat(256));
    for (const absent of [undefined, null, '', '   ']) expect(checkOnBehalfOf(absent)).toBeUndefined();
    for (const bad of ['sam\u202e@contoso.example', 'sam\u2066x', 'sam\u0000', 'sam\tbob', 'sam\u200b', '\ud800', 's'.repeat(257), 42, {}, ['sam']]) {
      expect(() => checkOnBehalfOf(bad)).toThrow(expect.objectContaining({ name: 'RaiseInputError', code: 'invalid_requested_by' }));
    }
  });
});
