import type { LevelArmClients } from './arm-level-clients.ts';
import type { ResourceLister } from './inventory-service.ts';

/** Lists a group's resources with one paged `resources.listByResourceGroup` and keeps the types. */
export function createArmResourceLister(clients: LevelArmClients): ResourceLister {
  return {
    async listResourceTypes(rg) {
      const types = new Set<string>();
      let count = 0;
      for await (const page of clients.resources(rg.subscriptionId).resources.listByResourceGroup(rg.name).byPage()) {
        for (const r of page) {
          count++;
          if (typeof r.type === 'string') types.add(r.type);
        }
      }
      return { resourceTypes: [...types], resourceCount: count };
    },
  };
}
