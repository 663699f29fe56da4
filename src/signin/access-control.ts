import type { Request, RequestHandler } from 'express';
import { defineAbilityFor, type AppAbility } from '../access/define-ability.ts';
import type { AppAction, AppSubject } from '../access/app-permissions.ts';
import { requiredRoleFor } from '../access/required-role.ts';
import type { ServiceRole, ServiceRolesPolicy } from '../policies/service-roles-schema.ts';
import '../sessions/session-data.ts';
import type { SessionUser } from '../sessions/session-data.ts';
import { sendDenial } from './deny-response.ts';

/** The signed-in user and what they may do, resolved once per request. */
export interface AccessContext {
  user: SessionUser | undefined;
  roles: ServiceRole[];
  ability: AppAbility;
  policies: { serviceRoles: ServiceRolesPolicy };
}

/** What templates see as `user`: names and role names only. */
export interface TemplateUser {
  name: string;
  upn: string;
  oid: string;
  roleNames: string[];
}

const contexts = new WeakMap<Request, AccessContext>();

/** The user's current roles under the policy: only person roles, only those still defined. */
export function rolesOfUser(user: SessionUser | undefined, policies: { serviceRoles: ServiceRolesPolicy }): ServiceRole[] {
  return user ? policies.serviceRoles.roles.filter((r) => r.principalType === 'user' && user.roles.includes(r.id)) : [];
}

/** What this user may do, e.g. for a sign-in continuation deciding on the user it just received. */
export function abilityForUser(user: SessionUser | undefined, policies: { serviceRoles: ServiceRolesPolicy }): AppAbility {
  return defineAbilityFor(rolesOfUser(user, policies));
}

/**
 * Resolves the session's user into roles and a CASL ability against the current policies (so a
 * role removed from the policy stops working without waiting for sign-out), and exposes
 * `res.locals.user` and `res.locals.ability` so templates can hide what the user cannot do.
 * Hiding is cosmetic; every route still checks with `requireAbility`.
 */
export function exposeSignedInUser(policies: { serviceRoles: ServiceRolesPolicy }): RequestHandler {
  return (req, res, next) => {
    const user = req.session?.user;
    const roles = rolesOfUser(user, policies);
    const ability = defineAbilityFor(roles);
    contexts.set(req, { user, roles, ability, policies });
    res.locals.ability = ability;
    res.locals.user = user
      ? ({ name: user.name, upn: user.upn, oid: user.oid, roleNames: roles.map((r) => r.displayName) } satisfies TemplateUser)
      : undefined;
    next();
  };
}

/** The request's access context; throws when `exposeSignedInUser` did not run (a wiring bug). */
export function accessOf(req: Request): AccessContext {
  const ctx = contexts.get(req);
  if (!ctx) throw new Error('access control: exposeSignedInUser must run before this route');
  return ctx;
}

/** The signed-in user, or undefined. For server-side checks inside handlers. */
export function currentUser(req: Request): SessionUser | undefined {
  return accessOf(req).user;
}

/** Refuses anonymous requests: 401 JSON for the API, a redirect to sign-in for page views. */
export const requireSignIn: RequestHandler = (req, res, next) => {
  let ctx: AccessContext;
  try {
    ctx = accessOf(req);
  } catch (err) {
    return next(err);
  }
  if (ctx.user) return next();
  if (req.method === 'GET' && !req.originalUrl.startsWith('/api/') && req.accepts(['html', 'json']) === 'html') {
    return res.redirect(303, `/auth/signin?returnTo=${encodeURIComponent(req.originalUrl)}`);
  }
  sendDenial(req, res, {
    status: 401,
    error: 'unauthenticated',
    message: res.locals.sessionEnded ? 'Your session has ended. Sign in again.' : 'Sign in to Elevate first.',
    view: 'errors/signed-out.njk',
  });
};

/**
 * Allows the request only if the user's roles allow `action` on `subject`; otherwise a 403
 * naming the role that would. Anonymous requests get `requireSignIn`'s answer.
 */
export function requireAbility(action: AppAction, subject: AppSubject): RequestHandler {
  return (req, res, next) => {
    requireSignIn(req, res, (err?: unknown) => {
      if (err) return next(err);
      const ctx = accessOf(req);
      if (ctx.ability.can(action, subject)) return next();
      const message = requiredRoleFor(action, subject, ctx.policies);
      sendDenial(req, res, {
        status: 403,
        error: 'forbidden',
        message,
        view: 'errors/forbidden-role.njk',
        locals: { action, subject },
      });
    });
  };
}
