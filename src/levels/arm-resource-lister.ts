import type { LevelArmClients } from './arm-level-clients.ts';
import type { ResourceLister } from './inventory-service.ts';

/** Lists a group's resources with one paged `resources.listByResourceGroup` and keeps the types. */
export function createArmResourceLister(clients: LevelArmClients): ResourceLister {
  return {
    async listResourceTypes(rg) {
      const types = new Set<string>();
      let count = 0;
      // $top at ARM's maximum page size: one call for any group of up to 1000 resources.
      for await (const page of clients.resources(rg.subscriptionId).resources.listByResourceGroup(rg.name, { top: 1000 }).byPage()) {
        for (const r of page) {
          count++;
          if (typeof r.type === 'string') types.add(r.type);
        }
      }
      return { resourceTypes: [...types], resourceCount: count };
    },
  };
}
