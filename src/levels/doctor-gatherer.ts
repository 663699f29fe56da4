import { readFile } from 'node:fs/promises';
import type { TokenCredential } from '@azure/core-auth';
import { decodeJwt } from 'jose';
import type { ArmPipelineClient } from '../azure/arm-pipeline-client.ts';
import type { AzureEndpoints } from '../azure/azure-endpoints.ts';
import type { Agent } from '../agents/agent-types.ts';
import { parseResourceGroupId, subscriptionScope } from '../agents/resource-group-id.ts';
import { matchesAction } from '../rbac/action-pattern.ts';
import type { AzureErrorFact, DoctorFacts, GovernanceFacts, Probe } from './doctor-facts.ts';
import type { LevelEnforcer } from './level-enforcer.ts';

export interface DoctorGatherDeps {
  mode: 'sandbox' | 'azure';
  endpoints: AzureEndpoints;
  enforcer: LevelEnforcer;
  agentCredential(uamiClientId: string): TokenCredential;
  governanceCredential: TokenCredential;
  governance: { kind: GovernanceFacts['credentialKind']; clientId: string; federatedTokenFile?: string };
  /** A generic ARM client acting as the given credential. */
  arm(credential: TokenCredential): ArmPipelineClient;
  now?: () => Date;
}

const MAX_PAGES = 20;
const ROLE_ASSIGNMENT_WRITE = 'Microsoft.Authorization/roleAssignments/write';
const ROLE_ASSIGNMENT_DELETE = 'Microsoft.Authorization/roleAssignments/delete';

/** An SDK or HTTP failure as code/status/first line; AADSTS numbers stay in the message. */
export function toAzureError(err: unknown): AzureErrorFact {
  const e = (err ?? {}) as { name?: unknown; code?: unknown; statusCode?: unknown; message?: unknown; errorResponse?: { error?: unknown; errorDescription?: unknown } };
  const described = typeof e.errorResponse?.errorDescription === 'string' ? e.errorResponse.errorDescription : undefined;
  const message = (described ?? (typeof e.message === 'string' ? e.message : String(err))).split('\n')[0]!.slice(0, 400);
  const code = typeof e.errorResponse?.error === 'string' ? e.errorResponse.error : typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : undefined;
  return { ...(code ? { code } : {}), ...(typeof e.statusCode === 'number' ? { status: e.statusCode } : {}), message };
}

function armError(status: number, body: unknown): AzureErrorFact {
  const err = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return {
    status,
    ...(typeof err?.code === 'string' ? { code: err.code } : {}),
    message: typeof err?.message === 'string' ? err.message.split('\n')[0]!.slice(0, 400) : `HTTP ${status}`,
  };
}

function dedupe(ids: string[]): string[] {
  const seen = new Map<string, string>();
  for (const id of ids) if (!seen.has(id.toLowerCase())) seen.set(id.toLowerCase(), id);
  return [...seen.values()];
}

async function probe<T>(fn: () => Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: toAzureError(err) };
  }
}

class ArmFailure extends Error {
  constructor(readonly fact: AzureErrorFact) {
    super(fact.message);
  }
}

async function armList(client: ArmPipelineClient, path: string, apiVersion: string): Promise<unknown[]> {
  const first = await client.armRequest({ method: 'GET', path, apiVersion, purpose: 'doctor' });
  if (first.status !== 200) throw new ArmFailure(armError(first.status, first.body));
  const items: unknown[] = [];
  let body = first.body as { value?: unknown[]; nextLink?: string } | undefined;
  for (let page = 0; body && page < MAX_PAGES; page++) {
    items.push(...(Array.isArray(body.value) ? body.value : []));
    if (!body.nextLink) break;
    const next = await client.armGetUrl(body.nextLink, first.correlationId);
    if (next.status !== 200) throw new ArmFailure(armError(next.status, next.body));
    body = next.body as typeof body;
  }
  return items;
}

async function armProbe<T>(fn: () => Promise<T>): Promise<Probe<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: err instanceof ArmFailure ? err.fact : toAzureError(err) };
  }
}

async function federatedFacts(tokenFile: string): Promise<NonNullable<GovernanceFacts['federated']>> {
  try {
    const claims = decodeJwt((await readFile(tokenFile, 'utf8')).trim());
    const aud = Array.isArray(claims.aud) ? claims.aud.join(' ') : claims.aud;
    return {
      tokenFile,
      ...(claims.iss ? { issuer: claims.iss } : {}),
      ...(claims.sub ? { subject: claims.sub } : {}),
      ...(aud ? { audience: aud } : {}),
      ...(claims.exp ? { expiresAt: new Date(claims.exp * 1000).toISOString() } : {}),
    };
  } catch (err) {
    // Only the error's class and code: a parse error message could quote the file.
    const e = err as { code?: unknown; name?: unknown };
    return { tokenFile, readError: typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'unreadable' };
  }
}

/** Whether a Microsoft.Authorization/permissions answer lets the caller write and delete role assignments. */
export function permitsRoleAssignmentWrites(perms: unknown[]): boolean {
  const blocks = perms.map((p) => (p ?? {}) as { actions?: unknown; notActions?: unknown });
  const allows = (action: string) =>
    blocks.some((b) => {
      const actions = Array.isArray(b.actions) ? b.actions.filter((x): x is string => typeof x === 'string') : [];
      const not = Array.isArray(b.notActions) ? b.notActions.filter((x): x is string => typeof x === 'string') : [];
      return actions.some((a) => matchesAction(a, action)) && !not.some((a) => matchesAction(a, action));
    });
  return allows(ROLE_ASSIGNMENT_WRITE) && allows(ROLE_ASSIGNMENT_DELETE);
}

/** Gathers the facts for one agent; every probe's failure becomes a fact, never an exception. */
export async function gatherDoctorFacts(agent: Agent, deps: DoctorGatherDeps): Promise<DoctorFacts> {
  const now = deps.now ?? (() => new Date());
  let planned: Awaited<ReturnType<LevelEnforcer['plan']>> | undefined;
  let planError: AzureErrorFact | undefined;
  try {
    planned = await deps.enforcer.plan(agent.id, { refreshInventory: true });
  } catch (err) {
    // Elevate's own credential failing is itself a finding; the UAMI probes still run.
    planError = toAzureError(err);
  }
  const plan = planned?.plan;
  const inventory = planned?.inventory ?? [];
  const armScope = deps.endpoints.armScope;
  const groupIds = dedupe([...agent.resourceGroupIds, ...inventory.map((i) => i.resourceGroupId)]);
  const expectedSubscriptions = [...new Set(groupIds.map((id) => parseResourceGroupId(id).subscriptionId))].sort();

  const uamiClientId = agent.uamiClientId;
  const uami = deps.agentCredential(uamiClientId);
  const uamiToken = await probe(async () => {
    const t = await uami.getToken(armScope);
    if (!t) throw new Error('no token returned');
    return true as const;
  });
  const uamiArm = deps.arm(uami);
  const uamiSubscriptions = uamiToken.ok
    ? await armProbe(async () =>
        (await armList(uamiArm, '/subscriptions', '2022-12-01')).map((s) => String((s as { subscriptionId?: unknown }).subscriptionId ?? '')).filter((s) => s !== ''),
      )
    : undefined;

  const groups = [];
  for (const id of groupIds) {
    const rg = parseResourceGroupId(id);
    const atGroup = (scope: string) => scope.toLowerCase() === rg.id.toLowerCase();
    const inv = inventory.find((i) => i.resourceGroupId.toLowerCase() === rg.id.toLowerCase());
    groups.push({
      resourceGroupId: rg.id,
      ...(plan
        ? {
            roles: {
              present: plan.inPlace.filter((p) => atGroup(p.desired.scope)).map((p) => p.desired.roleName),
              missing: plan.toCreate.filter((d) => atGroup(d.scope)).map((d) => d.roleName),
            },
          }
        : {}),
      resourcesVisible: uamiToken.ok ? await armProbe(async () => (await armList(uamiArm, `${rg.id}/resources`, '2021-04-01')).length) : undefined,
      ...(inv?.error ? { inventoryError: inv.error } : {}),
    });
  }

  const govToken = await probe(async () => {
    const t = await deps.governanceCredential.getToken(armScope);
    if (!t) throw new Error('no token returned');
    return true as const;
  });
  // An app-only token lists the application permissions admin-consented to the app in its `roles`
  // claim (https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference).
  const graphPermissions = govToken.ok
    ? await probe(async () => {
        const t = await deps.governanceCredential.getToken(deps.endpoints.graphScope);
        if (!t) throw new Error('no token returned');
        const roles = decodeJwt(t.token).roles;
        return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string').sort() : [];
      })
    : undefined;
  const govArm = deps.arm(deps.governanceCredential);
  const scopes = [...expectedSubscriptions.map(subscriptionScope), ...groupIds];
  const canAssignRoles = [];
  for (const scope of govToken.ok ? scopes : []) {
    canAssignRoles.push({
      scope,
      result: await armProbe(async () => permitsRoleAssignmentWrites(await armList(govArm, `${scope}/providers/Microsoft.Authorization/permissions`, '2022-04-01'))),
    });
  }
  const governance: GovernanceFacts = {
    credentialKind: deps.governance.kind,
    clientId: deps.governance.clientId,
    token: govToken,
    canAssignRoles,
    ...(graphPermissions ? { graphPermissions } : {}),
    secretExpiry: {
      known: false,
      reason:
        deps.mode === 'sandbox'
          ? 'the sandbox\'s Microsoft Graph does not serve applications, where app credentials are listed'
          : 'Elevate does not read its own app registration (that needs Microsoft Graph Application.Read.All, which it does not hold); see Certificates & secrets on the app registration',
    },
    ...(deps.governance.federatedTokenFile ? { federated: await federatedFacts(deps.governance.federatedTokenFile) } : {}),
  };

  return {
    now: now().toISOString(),
    mode: deps.mode,
    agent: { name: agent.name, level: agent.level, uamiClientId, uamiPrincipalId: agent.uamiPrincipalId, resourceGroupIds: groupIds },
    expectedSubscriptions,
    managedIdentity: { endpoint: deps.endpoints.imdsEndpoint ?? 'http://169.254.169.254 (Azure Instance Metadata Service)', token: uamiToken },
    uamiSubscriptions,
    groups,
    governance,
    driftMessages: plan?.drift.map((d) => d.message) ?? [],
    ...(planError ? { planError } : {}),
  };
}
