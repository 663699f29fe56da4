import { describe, expect, it } from 'vitest';
import { breakAfterSlashes, escapeHtml } from '../../../src/web/present/escape-html.ts';
import { shortArmPath, shortId } from '../../../src/web/present/short-labels.ts';
import { timeTag, utcText } from '../../../src/web/present/time-tag.ts';

const SUB = '/subscriptions/b1995c7e-f47d-4afd-b2fc-8cf38f44e21d';

describe('time tags', () => {
  it('prints UTC to the minute as the no-JavaScript text, the exact instant in datetime and title', () => {
    const html = timeTag('2026-12-04T14:47:39.123Z');
    expect(html).toBe('<time datetime="2026-12-04T14:47:39.123Z" title="2026-12-04T14:47:39.123Z" data-time="both">2026-12-04 14:47 UTC</time>');
    expect(timeTag('2026-12-04T15:47:39+01:00', { relative: false })).toContain('datetime="2026-12-04T14:47:39.000Z"');
    expect(timeTag('2026-12-04T14:47:39Z', { relative: false })).toContain('data-time="absolute"');
    expect(timeTag('2026-12-04T14:47:39Z', { relativeOnly: true })).toContain('data-time="relative"');
  });

  it('prints a value that is not an instant as escaped text, and nothing for nothing', () => {
    expect(timeTag('<script>alert(1)</script>')).toBe('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(timeTag('" onmouseover="x')).not.toContain('"');
    expect(timeTag(undefined)).toBe('');
    expect(timeTag(null)).toBe('');
    expect(utcText('not a date')).toBeUndefined();
  });
});

describe('short labels', () => {
  it('shortens ARM paths to the resource group and the last type/name pair, keeping a trailing action', () => {
    expect(shortArmPath(`${SUB}/resourceGroups/rg-sre-apps/providers/Microsoft.App/containerApps/ca-checkout/revisions/ca-checkout--v1/restart`)).toBe(
      'rg-sre-apps/…/revisions/ca-checkout--v1/restart',
    );
    expect(shortArmPath(`${SUB}/resourceGroups/rg-sre-apps/providers/Microsoft.App/containerApps/ca-checkout`)).toBe('rg-sre-apps/containerApps/ca-checkout');
    expect(shortArmPath(`${SUB}/resourceGroups/rg-sre-apps`)).toBe('rg-sre-apps');
    expect(shortArmPath(SUB)).toBe('subscription b1995c7e…');
    expect(shortArmPath(`${SUB}/providers/Microsoft.Authorization/roleAssignments/x`)).toBe('subscription b1995c7e…/roleAssignments/x');
  });

  it('leaves what is not an ARM path alone', () => {
    expect(shortArmPath('Microsoft.Compute/virtualMachines/read')).toBe('Microsoft.Compute/virtualMachines/read');
    expect(shortArmPath('')).toBe('');
  });

  it('shortens GUIDs and long ids, not short ones', () => {
    expect(shortId('60ca6263-4c86-46fc-b376-b14ef1e7ff91')).toBe('60ca6263…');
    expect(shortId('elevate')).toBe('elevate');
  });
});

describe('escaping', () => {
  it('escapes markup and both quote kinds, and breaks paths only after slashes', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
    expect(breakAfterSlashes('/a/<b>')).toBe('/<wbr>a/<wbr>&#60;b&#62;');
  });
});

describe('names beside ids in audit rows', async () => {
  const { agentNameOf, approverUpnOf, entryRow } = await import('../../../src/web/pages/audit-view-models.ts');
  const base = {
    seq: 7,
    ts: '2026-12-04T12:00:00.000Z',
    subject: null,
    requestId: 'r1',
    action: 'Microsoft.App/containerApps/revisions/restart/action',
    scope: '/subscriptions/s/resourceGroups/rg',
    outcome: 'approve',
    actingIdentity: null,
    prevHash: '0',
    hash: '1',
  };
  const approval = { ...base, eventType: 'approval.decided', actor: { kind: 'user' as const, id: 'OID-1', name: 'ada@contoso' }, agentId: 'A1', approverId: 'oid-1', details: { approver: { oid: 'oid-1', upn: 'ada.admin@contoso' } } };

  it('takes the approver UPN from the details, else from the acting user, and the agent name from the registry', () => {
    expect(approverUpnOf(approval)).toBe('ada.admin@contoso');
    expect(approverUpnOf({ ...approval, details: {} })).toBe('ada@contoso');
    expect(approverUpnOf({ ...approval, details: {}, actor: { kind: 'system', id: 'elevate', name: null } })).toBeNull();
    expect(approverUpnOf({ ...approval, approverId: null })).toBeNull();
    expect(agentNameOf(approval, new Map([['a1', 'sre-agent']]))).toBe('sre-agent');
    expect(agentNameOf({ ...approval, actor: { kind: 'agent', id: 'A1', name: 'named-in-entry' } })).toBe('named-in-entry');
    expect(agentNameOf(approval)).toBeNull();
    const row = entryRow(approval, new Map([['a1', 'sre-agent']]));
    expect(row).toMatchObject({ agentId: 'A1', agentName: 'sre-agent', approverId: 'oid-1', approverUpn: 'ada.admin@contoso', actorName: 'ada@contoso', actorId: 'OID-1' });
  });
});
