import type { AzureErrorFact, DoctorFacts, Probe } from './doctor-facts.ts';

export type FindingStatus = 'ok' | 'warn' | 'fail' | 'unknown';

export interface DoctorFinding {
  check: string;
  status: FindingStatus;
  summary: string;
  /** The Azure error this corresponds to, in Azure's words (code and message). */
  azureError?: string;
  cause?: string;
  fix?: string;
}

export interface DoctorReport {
  agent: string;
  ok: boolean;
  findings: DoctorFinding[];
}

const SECRET_WARN_DAYS = 30;
const METRICS_ROLE = 'Monitoring Reader';
const LOGS_ROLE = 'Log Analytics Reader';

const errText = (e: AzureErrorFact) => [e.code, e.status ? `(HTTP ${e.status})` : undefined, e.message].filter(Boolean).join(' ');
const aadsts = (e: AzureErrorFact) => /AADSTS(\d+)/.exec(`${e.code ?? ''} ${e.message}`)?.[1];

/** Entra sign-in errors Elevate's own credential can hit, with what they mean here. */
function explainEntraError(e: AzureErrorFact, facts: DoctorFacts): { cause: string; fix: string } {
  const fed = facts.governance.federated;
  const claims = fed ? `issuer '${fed.issuer ?? '?'}', subject '${fed.subject ?? '?'}', audience '${fed.audience ?? '?'}'` : 'the configured assertion';
  switch (aadsts(e)) {
    case '70021':
      return {
        cause: `AADSTS70021: no federated identity credential on app ${facts.governance.clientId} matches the presented assertion (${claims}).`,
        fix: `Add a federated credential to the app registration whose issuer, subject and audience are exactly ${claims} (audience normally api://AzureADTokenExchange), or fix the service account / token file so its claims match the existing one.`,
      };
    case '7000215':
      return { cause: 'AADSTS7000215: invalid client secret provided.', fix: 'Set AZURE_CLIENT_SECRET to the secret Value (not its ID) of a current client secret of the app registration.' };
    case '7000222':
      return { cause: 'AADSTS7000222: the client secret has expired.', fix: 'Create a new client secret on the app registration and set AZURE_CLIENT_SECRET.' };
    case '700016':
      return { cause: `AADSTS700016: application ${facts.governance.clientId} was not found in the tenant.`, fix: 'Check AZURE_CLIENT_ID and AZURE_TENANT_ID: the app registration must live in that tenant.' };
    case '90002':
      return { cause: 'AADSTS90002: the tenant was not found.', fix: 'Check AZURE_TENANT_ID.' };
    case '700024':
      return { cause: 'AADSTS700024: the client assertion is not within its valid time range (expired token file).', fix: 'The projected service account token must be refreshed: check the workload identity webhook / token mount.' };
    default:
      return { cause: 'Entra ID refused the service credential.', fix: 'Check the app registration, its credential and ELEVATE_CLIENT_CREDENTIAL.' };
  }
}

function imdsExplanation(e: AzureErrorFact, endpoint: string, clientId: string): { cause: string; fix: string } {
  if (/identity not found|not found|unknown client|400/i.test(`${e.status ?? ''} ${e.message}`)) {
    return {
      cause: `the managed identity endpoint answered but does not know a user-assigned identity with client id ${clientId}.`,
      fix: 'Assign the UAMI to the compute Elevate runs on (VM, container app, AKS workload identity), or fix the agent\'s UAMI client id.',
    };
  }
  return {
    cause: `the managed identity endpoint (${endpoint}) did not answer: Elevate is not running on Azure compute with a managed identity, or the endpoint is blocked.`,
    fix: 'Run Elevate where the UAMI is attached, or (sandbox) start the sandbox first.',
  };
}

export function runDoctorChecks(facts: DoctorFacts): DoctorReport {
  const out: DoctorFinding[] = [];
  const add = (f: DoctorFinding) => out.push(f);
  const { agent } = facts;

  // The managed identity endpoint
  if (facts.managedIdentity.token.ok) {
    add({ check: 'managed-identity', status: 'ok', summary: `managed identity endpoint answered and issued a token for UAMI ${agent.uamiClientId}` });
  } else {
    const e = facts.managedIdentity.token.error;
    add({ check: 'managed-identity', status: 'fail', summary: 'no token for the agent\'s UAMI', azureError: errText(e), ...imdsExplanation(e, facts.managedIdentity.endpoint, agent.uamiClientId) });
  }

  // Subscriptions the UAMI can read
  const subs = facts.uamiSubscriptions;
  if (subs && subs.ok) {
    const visible = new Set(subs.value.map((s) => s.toLowerCase()));
    const missing = facts.expectedSubscriptions.filter((s) => !visible.has(s.toLowerCase()));
    if (subs.value.length === 0 && facts.expectedSubscriptions.length > 0) {
      add({
        check: 'subscriptions',
        status: 'fail',
        summary: 'the UAMI sees no subscription',
        azureError: 'No subscriptions found (GET /subscriptions returned an empty list)',
        cause: 'the identity holds no role assignment in any subscription (or they have not propagated yet).',
        fix: 'Run `elevate apply` to assign the level\'s roles; allow a few minutes for propagation.',
      });
    } else if (missing.length > 0) {
      add({
        check: 'subscriptions',
        status: 'fail',
        summary: `the UAMI sees ${subs.value.length} subscription(s), fewer than expected: ${missing.join(', ')} not visible`,
        cause: 'no role assignment for the identity in those subscriptions, or they are in another tenant.',
        fix: 'Run `elevate apply`; check that the managed groups\' subscriptions are in the agent\'s tenant.',
      });
    } else {
      add({ check: 'subscriptions', status: 'ok', summary: `the UAMI can read ${subs.value.length} subscription(s): ${subs.value.join(', ') || '(none needed)'}` });
    }
  } else if (subs && !subs.ok) {
    add({ check: 'subscriptions', status: 'fail', summary: 'listing subscriptions with the UAMI failed', azureError: errText(subs.error), cause: 'ARM refused the identity\'s token or could not be reached.', fix: 'Check the managed identity finding above and network access to ARM.' });
  }

  if (facts.planError) {
    add({
      check: 'plan',
      status: 'fail',
      summary: "Elevate could not read the agent's inventory and role assignments with its own credential",
      azureError: errText(facts.planError),
      ...(aadsts(facts.planError) ? explainEntraError(facts.planError, facts) : { cause: 'ARM refused or did not answer.', fix: "Check Elevate's credential and its rights (findings below)." }),
    });
  }

  if (agent.resourceGroupIds.length === 0) {
    add({ check: 'resource-groups', status: 'warn', summary: 'the agent manages no resource group, so its identity holds nothing', fix: 'Add groups with `elevate agents add-rg`, then `elevate apply`.' });
  }

  // Per managed group: roles, visibility, metrics and logs
  for (const g of facts.groups) {
    const where = g.resourceGroupId;
    const roles = g.roles;
    if (!roles) {
      add({ check: 'roles', status: 'unknown', summary: `${where}: roles not checked (the plan could not be made, see above)` });
    } else if (roles.missing.length === 0) {
      add({ check: 'roles', status: 'ok', summary: `${where}: all ${roles.present.length} role(s) of the ${agent.level} level present (${roles.present.join(', ')})` });
    } else {
      add({
        check: 'roles',
        status: 'fail',
        summary: `${where}: missing ${roles.missing.join(', ')} for the ${agent.level} level`,
        cause: 'the role assignments were never created, or were removed outside Elevate.',
        fix: `Run \`elevate apply --agent ${agent.name}\`.`,
      });
    }
    if (g.inventoryError) {
      add({ check: 'inventory', status: 'warn', summary: `${where}: Elevate could not list the group's resources`, azureError: g.inventoryError, cause: 'Elevate\'s governance credential cannot read the group, or it does not exist.', fix: 'Check the group id and give Elevate\'s app Reader (or User Access Administrator, which includes it) there.' });
    }
    const visible = g.resourcesVisible;
    if (visible && !visible.ok) {
      const forbidden = visible.error.status === 403 || visible.error.code === 'AuthorizationFailed';
      add({
        check: 'resources',
        status: 'fail',
        summary: `${where}: the UAMI cannot list resources`,
        azureError: errText(visible.error),
        cause: forbidden ? 'AuthorizationFailed: the identity has no read role at the group (403 on the subscription or group).' : 'ARM refused the request.',
        fix: forbidden ? `Run \`elevate apply --agent ${agent.name}\` to assign Reader there.` : 'Check that the group exists and ARM is reachable.',
      });
    }
    const noMetrics = roles?.missing.includes(METRICS_ROLE) ?? false;
    const noLogs = roles?.missing.includes(LOGS_ROLE) ?? false;
    if (noMetrics || noLogs) {
      const seen = visible?.ok ? 'resources are visible but ' : '';
      const what = [noMetrics ? 'metrics' : undefined, noLogs ? 'logs' : undefined].filter(Boolean).join(' and ');
      add({
        check: 'monitoring',
        status: 'fail',
        summary: `${where}: ${seen}${what} will not work`,
        cause: `${[noMetrics ? METRICS_ROLE : undefined, noLogs ? LOGS_ROLE : undefined].filter(Boolean).join(' and ')} missing: queries fail with AuthorizationFailed on Microsoft.Insights/metrics/read or workspace queries.`,
        fix: `Run \`elevate apply --agent ${agent.name}\`.`,
      });
    } else if (roles?.present.includes(METRICS_ROLE) && roles.present.includes(LOGS_ROLE)) {
      add({ check: 'monitoring', status: 'ok', summary: `${where}: metrics (${METRICS_ROLE}) and logs (${LOGS_ROLE}) will work` });
    }
  }

  for (const m of facts.driftMessages) {
    add({ check: 'drift', status: 'warn', summary: m, cause: 'an assignment made outside Elevate gives the identity more than its level.', fix: 'Remove it, or run `elevate apply --remove-drift` (assignments made to groups must be removed by hand).' });
  }

  // Elevate's own governance credential
  const gov = facts.governance;
  if (gov.federated) {
    const f = gov.federated;
    add(
      f.readError
        ? { check: 'federated-credential', status: 'fail', summary: `cannot read the federated token file ${f.tokenFile}`, azureError: f.readError, fix: 'Check AZURE_FEDERATED_TOKEN_FILE and the token projection.' }
        : { check: 'federated-credential', status: 'ok', summary: `federated token: issuer '${f.issuer ?? '?'}', subject '${f.subject ?? '?'}', audience '${f.audience ?? '?'}'${f.expiresAt ? `, expires ${f.expiresAt}` : ''}` },
    );
  }
  if (gov.token.ok) {
    add({ check: 'governance-credential', status: 'ok', summary: `Elevate's ${gov.credentialKind} credential (app ${gov.clientId}) obtained an ARM token` });
  } else {
    const e = gov.token.error;
    add({ check: 'governance-credential', status: 'fail', summary: `Elevate's ${gov.credentialKind} credential (app ${gov.clientId}) got no ARM token`, azureError: errText(e), ...explainEntraError(e, facts) });
  }
  for (const { scope, result } of gov.canAssignRoles) {
    add(checkAssign(scope, result));
  }
  const exp = gov.secretExpiry;
  if (gov.credentialKind === 'secret') {
    if (!exp.known) add({ check: 'secret-expiry', status: 'unknown', summary: `client secret expiry not knowable: ${exp.reason}` });
    else {
      const days = Math.floor((Date.parse(exp.expiresAt) - Date.parse(facts.now)) / 86_400_000);
      add(
        days < 0
          ? { check: 'secret-expiry', status: 'fail', summary: `the client secret expired on ${exp.expiresAt}`, azureError: 'AADSTS7000222', fix: 'Create a new client secret and set AZURE_CLIENT_SECRET.' }
          : days <= SECRET_WARN_DAYS
            ? { check: 'secret-expiry', status: 'warn', summary: `the client secret expires in ${days} day(s) (${exp.expiresAt})`, fix: 'Create a new client secret and set AZURE_CLIENT_SECRET before then.' }
            : { check: 'secret-expiry', status: 'ok', summary: `the client secret expires on ${exp.expiresAt}` },
      );
    }
  }
  graphPermissions(facts, add);
  signInAuthTime(facts, add);
  raiseMode(facts, add);
  return { agent: agent.name, ok: !out.some((f) => f.status === 'fail'), findings: out };
}

/** What Elevate asks Microsoft Graph, and the application permissions that allow each (any one suffices). */
const GRAPH_NEEDS = [
  {
    what: 'resolve who the agent says asked for a request (trigger.requestedBy) to a user',
    permission: 'User.Read.All',
    accepted: ['User.Read.All', 'User.ReadBasic.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    without: 'every requester stays unresolved, so each approval that forbids self-approval needs one more administrator',
  },
  {
    what: 'tell whether the agent\'s identity is in a group a deny assignment names or excludes',
    permission: 'GroupMember.Read.All',
    accepted: ['GroupMember.Read.All', 'Group.Read.All', 'Group.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'],
    without: 'checks in a subscription whose deny assignments name groups are refused (fail closed)',
  },
] as const;

/** Elevate's Graph application permissions, from its own app-only Graph token. Missing ones make Elevate stricter, never laxer: a warning. */
function graphPermissions(facts: DoctorFacts, add: (f: DoctorFinding) => void): void {
  const p = facts.governance.graphPermissions;
  if (!p) return;
  if (!p.ok) {
    add({ check: 'graph-permissions', status: 'warn', summary: `Elevate's credential got no Microsoft Graph token`, azureError: errText(p.error), ...explainEntraError(p.error, facts) });
    return;
  }
  for (const need of GRAPH_NEEDS) {
    const held = need.accepted.filter((a) => p.value.includes(a));
    add(
      held.length
        ? { check: 'graph-permissions', status: 'ok', summary: `Microsoft Graph ${held.join(', ')} granted: Elevate can ${need.what}` }
        : {
            check: 'graph-permissions',
            status: 'warn',
            summary: `Microsoft Graph ${need.permission} is not granted to Elevate's app: it cannot ${need.what}`,
            cause: `Without it ${need.without}.`,
            fix: `In Entra: App registrations > Elevate > API permissions > Add a permission > Microsoft Graph > Application permissions > ${need.permission}, then Grant admin consent.`,
          },
    );
  }
}

const AUTH_TIME_FIX =
  'In Entra: App registrations > Elevate > Token configuration > Add optional claim > ID > auth_time. Elevations work without it (prompt=login, a per-request nonce and the ID token\'s iat prove a fresh sign-in), but only auth_time reveals a sign-in answered silently from an existing Entra session when the request was tampered with in the browser.';

/**
 * `auth_time` is an optional claim in Entra ID, off by default
 * (https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference): report
 * whether sign-ins carry it. Never a failure: Elevate works either way.
 */
function signInAuthTime(facts: DoctorFacts, add: (f: DoctorFinding) => void): void {
  const s = facts.signIns;
  if (!s) return;
  if (s.examined === 0) {
    add({ check: 'sign-in-auth-time', status: 'unknown', summary: 'no sign-in recorded yet: cannot tell whether ID tokens carry auth_time (sign in once and run doctor again)', fix: AUTH_TIME_FIX });
  } else if (s.withAuthTime === s.examined) {
    add({ check: 'sign-in-auth-time', status: 'ok', summary: `the last ${s.examined} sign-in(s) carried auth_time (optional claim configured); fresh sign-ins are checked against it` });
  } else if (s.withAuthTime === 0) {
    add({
      check: 'sign-in-auth-time',
      status: 'warn',
      summary: `the last ${s.examined} sign-in(s) carried no auth_time: the optional claim is not configured on the app registration`,
      cause: 'Entra sends auth_time only when the app registration lists it as an optional claim for ID tokens.',
      fix: AUTH_TIME_FIX,
    });
  } else {
    add({
      check: 'sign-in-auth-time',
      status: 'warn',
      summary: `${s.withAuthTime} of the last ${s.examined} sign-in(s) carried auth_time: the optional claim was added or removed recently`,
      fix: AUTH_TIME_FIX,
    });
  }
}

function checkAssign(scope: string, result: Probe<boolean>): DoctorFinding {
  if (!result.ok) {
    return {
      check: 'governance-permissions',
      status: 'unknown',
      summary: `${scope}: could not read Elevate's own permissions`,
      azureError: errText(result.error),
      cause: result.error.status === 403 ? 'AuthorizationFailed: Elevate cannot even read there.' : 'the permissions API did not answer.',
      fix: 'Give Elevate\'s app User Access Administrator or Role Based Access Control Administrator at that scope.',
    };
  }
  return result.value
    ? { check: 'governance-permissions', status: 'ok', summary: `${scope}: Elevate may create and delete role assignments` }
    : {
        check: 'governance-permissions',
        status: 'fail',
        summary: `${scope}: Elevate may not write role assignments`,
        azureError: `AuthorizationFailed: does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '${scope}'`,
        cause: 'Elevate\'s app holds neither User Access Administrator nor Role Based Access Control Administrator there.',
        fix: 'Assign one of them to Elevate\'s app at the subscription (or each managed group).',
      };
}

/** Which mode time-bound raises use, and why (PIM needs Entra ID P2 and the right to create schedule requests). */
function raiseMode(facts: DoctorFacts, add: (f: DoctorFinding) => void): void {
  const r = facts.raiseMode;
  if (!r) return;
  if (r.mode === 'pim') {
    add({ check: 'raise-mode', status: 'ok', summary: `time-bound raises use PIM: ${r.reason}` });
    return;
  }
  add({
    check: 'raise-mode',
    status: 'warn',
    summary: `time-bound raises use the fallback (plain role assignments Elevate revokes on schedule): ${r.reason}`,
    cause: 'Azure does not end a fallback raise by itself: if Elevate stays down past a window, the roles stay until it is back.',
    fix: 'For PIM: a Microsoft Entra ID P2 (or ID Governance) licence in the tenant, and User Access Administrator (or Owner) for Elevate on the managed scopes.',
  });
}
