import type { LevelArmClients } from './arm-level-clients.ts';
import type { ActualAssignment, DesiredAssignment } from './level-types.ts';

export type CreateOutcome = 'created' | 'exists';
export type DeleteOutcome = 'deleted' | 'absent';

/** Role-assignment writes with Elevate's governance credential. Both are idempotent. */
export interface AssignmentWriter {
  create(desired: DesiredAssignment, description: string): Promise<CreateOutcome>;
  /** `subscriptionHint`: a subscription whose client may send a delete of a management-group-scope id. */
  delete(assignment: ActualAssignment, subscriptionHint?: string): Promise<DeleteOutcome>;
}

function statusAndCode(err: unknown): { status: number | undefined; code: string | undefined } {
  const e = (err ?? {}) as { statusCode?: unknown; code?: unknown };
  return { status: typeof e.statusCode === 'number' ? e.statusCode : undefined, code: typeof e.code === 'string' ? e.code : undefined };
}

const subscriptionOf = (scope: string) => /^\/subscriptions\/([^/]+)/i.exec(scope)?.[1];
/**
 * The SDK puts `{scope}` and `{roleAssignmentId}` right after the host's `/`; ids as ARM returns
 * them start with `/`, which would make `//subscriptions/...`. Real ARM tolerates that, but the
 * SDK's own samples pass them without, and so do we.
 */
const relative = (path: string) => path.replace(/^\/+/, '');

export function createArmAssignmentWriter(clients: LevelArmClients): AssignmentWriter {
  return {
    async create(d, description) {
      const sub = subscriptionOf(d.scope);
      if (!sub) throw new Error(`cannot create an assignment outside a subscription: ${d.scope}`);
      try {
        await clients.authorization(sub).roleAssignments.create(relative(d.scope), d.name, {
          roleDefinitionId: d.roleDefinitionId,
          principalId: d.principalId,
          // Saying so spares ARM a directory lookup that fails while a new identity replicates.
          principalType: 'ServicePrincipal',
          description,
        });
        return 'created';
      } catch (err) {
        // The same (principal, role, scope) already exists, under our name or another: done.
        if (statusAndCode(err).code === 'RoleAssignmentExists') return 'exists';
        throw err;
      }
    },
    async delete(a, subscriptionHint) {
      const sub = subscriptionOf(a.scope) ?? subscriptionOf(a.roleDefinitionId) ?? subscriptionHint;
      if (!sub) throw new Error(`cannot delete an assignment outside a subscription: ${a.id}`);
      try {
        const res = await clients.authorization(sub).roleAssignments.deleteById(relative(a.id));
        // ARM answers 204 with no body when there was nothing to delete.
        return res && res.id ? 'deleted' : 'absent';
      } catch (err) {
        const { status, code } = statusAndCode(err);
        if (status === 404 || code === 'RoleAssignmentNotFound') return 'absent';
        throw err;
      }
    },
  };
}
