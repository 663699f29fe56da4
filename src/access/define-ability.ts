import { AbilityBuilder, createMongoAbility, type MongoAbility } from '@casl/ability';
import type { ServiceRole } from '../policies/service-roles-schema.ts';
import type { AppAction, AppSubject } from './app-permissions.ts';

export type AppAbility = MongoAbility<[AppAction, AppSubject]>;

/**
 * The CASL ability for a principal holding `roles` (from `rolesFromClaims`): the union of their
 * permissions. No roles, no permissions: every `can` is false.
 */
export function defineAbilityFor(roles: readonly ServiceRole[]): AppAbility {
  const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  for (const role of roles) {
    for (const { action, subject } of role.permissions) can(action, subject);
  }
  return build();
}
