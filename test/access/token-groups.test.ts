import { describe, expect, it } from 'vitest';
import { tokenGroups } from '../../src/access/token-groups.ts';

const G = '2b65dfa2-bf0b-4974-9aa4-4f4d0714072b';
const OVERAGE = {
  _claim_names: { groups: 'src1' },
  _claim_sources: { src1: { endpoint: 'https://graph.windows.net/26d07dfe-13eb-44c6-bbdf-5d359fd60c0c/users/60ca6263-4c86-46fc-b376-b14ef1e7ff91/getMemberObjects' } },
};

describe('tokenGroups', () => {
  it('reads the groups claim as a list, dropping what is not a string', () => {
    expect(tokenGroups({ groups: [G, 42, null] })).toEqual({ kind: 'listed', groups: [G] });
    expect(tokenGroups({ groups: [] })).toEqual({ kind: 'listed', groups: [] });
  });

  it("recognises Entra's overage indicator: the distributed claim, and hasgroups (implicit flow)", () => {
    expect(tokenGroups(OVERAGE)).toEqual({ kind: 'overage' });
    expect(tokenGroups({ _claim_names: { groups: 'src1' } })).toEqual({ kind: 'overage' });
    expect(tokenGroups({ hasgroups: true })).toEqual({ kind: 'overage' });
  });

  it('is absent without either, and for indicator look-alikes', () => {
    expect(tokenGroups({})).toEqual({ kind: 'absent' });
    expect(tokenGroups({ hasgroups: 'true', _claim_names: { email: 'src1' } })).toEqual({ kind: 'absent' });
    expect(tokenGroups({ _claim_names: '{"groups":"src1"}' })).toEqual({ kind: 'absent' });
    expect(tokenGroups({ _claim_names: ['groups'] })).toEqual({ kind: 'absent' });
    expect(tokenGroups({ groups: G })).toEqual({ kind: 'absent' });
  });

  it('takes a list over an indicator (Entra never sends both)', () => {
    expect(tokenGroups({ ...OVERAGE, groups: [G] })).toEqual({ kind: 'listed', groups: [G] });
  });
});
