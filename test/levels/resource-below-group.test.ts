import { describe, expect, it } from 'vitest';
import { resourceBelowGroup } from '../../src/levels/resource-below-group.ts';
import { RG_APPS, RG_VMS, SUB } from './level-fixtures.ts';

describe('resourceBelowGroup', () => {
  const groups = [RG_APPS, RG_VMS];

  it('names the managed group and the type of a resource in it', () => {
    expect(resourceBelowGroup(`${RG_APPS}/providers/Microsoft.App/containerApps/web`, groups)).toEqual({
      resourceGroupId: RG_APPS,
      resourceType: 'Microsoft.App/containerApps',
    });
  });

  it('gives a nested resource its full type and an extension resource the extension type', () => {
    expect(resourceBelowGroup(`${RG_VMS}/providers/Microsoft.Sql/servers/s1/databases/d1`, groups)?.resourceType).toBe('Microsoft.Sql/servers/databases');
    expect(resourceBelowGroup(`${RG_APPS}/providers/Microsoft.App/containerApps/web/providers/Microsoft.Insights/diagnosticSettings/ds`, groups)?.resourceType).toBe(
      'Microsoft.Insights/diagnosticSettings',
    );
  });

  it('does not take a resource named providers for the keyword', () => {
    expect(resourceBelowGroup(`${RG_APPS}/providers/Microsoft.App/containerApps/providers`, groups)?.resourceType).toBe('Microsoft.App/containerApps');
  });

  it('matches the group case-insensitively', () => {
    const shouty = `/SUBSCRIPTIONS/${SUB.toUpperCase()}/RESOURCEGROUPS/RG-APPS/PROVIDERS/Microsoft.App/containerApps/web`;
    expect(resourceBelowGroup(shouty, groups)).toEqual({ resourceGroupId: RG_APPS, resourceType: 'Microsoft.App/containerApps' });
  });

  it('is undefined at a group, a subscription, and below a group that is not managed (whole segments)', () => {
    expect(resourceBelowGroup(RG_APPS, groups)).toBeUndefined();
    expect(resourceBelowGroup(`/subscriptions/${SUB}`, groups)).toBeUndefined();
    expect(resourceBelowGroup(`${RG_APPS}0/providers/Microsoft.App/containerApps/web`, groups)).toBeUndefined();
    expect(resourceBelowGroup(`/subscriptions/${SUB}/providers/Microsoft.Insights/actionGroups/ag`, groups)).toBeUndefined();
  });
});
