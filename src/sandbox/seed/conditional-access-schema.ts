import { z } from 'zod';

/**
 * A Conditional Access policy as the seed and the sandbox admin API take it: the subset of
 * Microsoft Graph's `conditionalAccessPolicy` the sandbox enforces (users, target applications or
 * authentication contexts, the "require multifactor authentication" grant control), in Graph's
 * own shape so a policy read from a real tenant can be pasted in.
 * https://learn.microsoft.com/graph/api/resources/conditionalaccesspolicy
 * A tenant has none until an administrator creates one, so the seed's list defaults to empty.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const guidOrAll = z.string().refine((s) => s === 'All' || GUID.test(s), 'expected an object id or "All"');
/**
 * Authentication context ids: c1 to c99 (the Graph resource page still says c25).
 * https://learn.microsoft.com/entra/identity-platform/developer-guide-conditional-access-authentication-context
 */
export const AUTH_CONTEXT_ID = /^c[1-9][0-9]?$/;

export const conditionalAccessPolicySchema = z.strictObject({
  $comment: z.string().optional(),
  id: z.string().regex(GUID, 'expected a GUID'),
  displayName: z.string().min(1).max(256),
  /** `enabledForReportingButNotEnforced` (report-only) is logged by Entra, never enforced. */
  state: z.enum(['enabled', 'disabled', 'enabledForReportingButNotEnforced']).default('enabled'),
  conditions: z.strictObject({
    /** Object ids of users, or "All". */
    users: z.strictObject({ includeUsers: z.array(guidOrAll).min(1), excludeUsers: z.array(z.string().regex(GUID)).default([]) }),
    /**
     * The resources ("cloud apps") by app id, e.g. 797f4846-ba00-4fd7-ba43-dac1f8f63013 for Azure
     * Resource Manager, or "All"; and/or authentication contexts (c1...) an app asks for in a
     * claims request. https://learn.microsoft.com/entra/identity/conditional-access/concept-conditional-access-cloud-apps
     */
    applications: z
      .strictObject({
        includeApplications: z.array(guidOrAll).default([]),
        includeAuthenticationContextClassReferences: z.array(z.string().regex(AUTH_CONTEXT_ID, 'expected c1...c99')).default([]),
      })
      .refine((a) => a.includeApplications.length + a.includeAuthenticationContextClassReferences.length > 0, 'a policy targets applications or authentication contexts'),
  }),
  /** Only "require multifactor authentication" is modelled. */
  grantControls: z.strictObject({ operator: z.enum(['OR', 'AND']).default('OR'), builtInControls: z.array(z.literal('mfa')).min(1) }),
  /**
   * Sandbox only, not a Graph property (default true). false models a policy whose control the
   * interactive sign-in does not establish even when the app passes the claims request on (for
   * instance a location condition that holds where the middle tier calls from but not where the
   * user signs in): the sign-in completes without MFA and every on-behalf-of exchange is
   * challenged again, so an app's bounded retry can be tested.
   */
  satisfiedBySignIn: z.boolean().default(true),
});

export type ConditionalAccessPolicy = z.infer<typeof conditionalAccessPolicySchema>;
export type ConditionalAccessPolicyInput = z.input<typeof conditionalAccessPolicySchema>;
