import type { z } from 'zod';
import { approvalsSchema } from './approvals-schema.ts';
import { guardrailsSchema } from './guardrails-schema.ts';
import { checkGuardrails, toGuardrailsPolicy } from './guardrails-policy.ts';
import { levelsSchema } from './levels-schema.ts';
import { checkNotifications, notificationsSchema } from './notifications-schema.ts';
import { checkLevels, toLevelsPolicy, type RoleCatalogLookup } from './levels-policy.ts';
import { POLICY_FILES, type Policies, type PolicyFileName } from './policies.ts';
import { PolicyError } from './policy-error.ts';
import { formatPolicyIssue, issuesFromZod, policyErrorMap, type PolicyIssue } from './policy-issues.ts';
import { parsePolicyYaml, type PolicyPath } from './policy-yaml.ts';
import { rateLimitsSchema, type RateLimitsFile } from './rate-limits-schema.ts';
import { runModesSchema } from './run-modes-schema.ts';
import { serviceRolesSchema } from './service-roles-schema.ts';
import { checkServiceRoles, toServiceRolesPolicy } from './service-roles-policy.ts';

/**
 * Validates the text of every policy file and builds `Policies`. Pure: the caller reads the files.
 * `displayDir` only prefixes file names in messages ("policies/levels.yaml: ..."). Every fault in
 * every file is reported, one line each, in a single PolicyError.
 */
export function parsePolicies(
  texts: Partial<Record<PolicyFileName, string>>,
  catalog: RoleCatalogLookup,
  displayDir = 'policies',
): Policies {
  const lines: string[] = [];
  const display = (file: string) => (displayDir === '' ? file : `${displayDir.replace(/\/+$/, '')}/${file}`);

  function validate<S extends z.ZodType, T>(
    file: PolicyFileName,
    schema: S,
    check: (data: z.infer<S>) => PolicyIssue[],
    build: (data: z.infer<S>) => T,
  ): T | undefined {
    const text = texts[file];
    if (text === undefined) {
      lines.push(`${display(file)}: file not found; expected it in the policies folder`);
      return undefined;
    }
    const parsed = parsePolicyYaml(text);
    if (!parsed.ok) {
      lines.push(formatPolicyIssue(display(file), { path: [], message: parsed.message }, parsed.line));
      return undefined;
    }
    const result = schema.safeParse(parsed.data, { reportInput: true, error: policyErrorMap });
    const issues = result.success ? check(result.data) : issuesFromZod(result.error);
    const lineOf = (path: PolicyPath) => parsed.lineOf(path);
    for (const issue of issues) lines.push(formatPolicyIssue(display(file), issue, lineOf(issue.path)));
    return result.success && issues.length === 0 ? build(result.data) : undefined;
  }

  const none = () => [];
  const same = <T>(x: T) => x;
  const levels = validate(POLICY_FILES.levels, levelsSchema, (d) => checkLevels(d, catalog), toLevelsPolicy);
  const guardrails = validate(POLICY_FILES.guardrails, guardrailsSchema, checkGuardrails, toGuardrailsPolicy);
  const runModes = validate(POLICY_FILES.runModes, runModesSchema, none, same);
  const approvals = validate(POLICY_FILES.approvals, approvalsSchema, none, same);
  const serviceRoles = validate(POLICY_FILES.serviceRoles, serviceRolesSchema, checkServiceRoles, toServiceRolesPolicy);
  const rateLimits = validate(POLICY_FILES.rateLimits, rateLimitsSchema, checkRateLimits, same);
  // Optional: without the file nothing is sent; with it, a fault stops start-up like any other.
  const notifications = texts[POLICY_FILES.notifications] === undefined ? undefined : validate(POLICY_FILES.notifications, notificationsSchema, checkNotifications, same);

  if (lines.length > 0 || !levels || !guardrails || !runModes || !approvals || !serviceRoles || !rateLimits) {
    throw new PolicyError(lines);
  }
  return deepFreeze({ levels, guardrails, runModes, approvals, serviceRoles, rateLimits, ...(notifications ? { notifications } : {}) });
}

/** Agent names are unique regardless of case in the registry; two entries for one agent are a mistake. */
function checkRateLimits(data: RateLimitsFile): PolicyIssue[] {
  const seen = new Map<string, string>();
  const issues: PolicyIssue[] = [];
  for (const name of Object.keys(data.agentApi.agents ?? {})) {
    const first = seen.get(name.toLowerCase());
    if (first !== undefined) issues.push({ path: ['agentApi', 'agents', name], message: `the same agent as '${first}' (names are not case-sensitive)` });
    else seen.set(name.toLowerCase(), name);
  }
  return issues;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
