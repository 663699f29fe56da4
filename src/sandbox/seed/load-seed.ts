import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GRAPH_RESOURCE_KEY, seedSchema, type SandboxSeed } from './seed-schema.ts';

export const DEFAULT_SEED_FILE = fileURLToPath(new URL('./default-seed.json', import.meta.url));

export class SeedError extends Error {
  override name = 'SeedError';
}

/** Reads and validates a seed file; a bad file gives one line naming the file and the field. */
export function loadSeed(file: string = DEFAULT_SEED_FILE): SandboxSeed {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new SeedError(`sandbox seed ${file}: cannot read JSON (${why})`);
  }
  const parsed = seedSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SeedError(`sandbox seed ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  checkReferences(file, parsed.data);
  return parsed.data;
}

function checkReferences(file: string, seed: SandboxSeed): void {
  const fail = (msg: string): never => {
    throw new SeedError(`sandbox seed ${file}: ${msg}`);
  };
  const keys = {
    user: new Set(seed.users.map((u) => u.key)),
    group: new Set(seed.groups.map((g) => g.key)),
    app: new Set(seed.applications.map((a) => a.key)),
    mi: new Set(seed.managedIdentities.map((m) => m.key)),
  };
  const subs = new Set(seed.subscriptions.map((s) => s.key));
  const rgs = new Set(seed.resourceGroups.map((r) => `${r.subscription}/${r.name.toLowerCase()}`));
  const ref = (r: string, where: string) => {
    const [kind, k] = r.split(':') as [keyof typeof keys, string];
    if (!keys[kind]?.has(k)) fail(`${where}: unknown principal ${r}`);
  };
  if (!keys.app.has('elevate')) fail('applications: an application with key "elevate" is required');
  if (!keys.mi.has(seed.agent.identity)) fail(`agent.identity: unknown managed identity ${seed.agent.identity}`);
  for (const g of seed.groups) {
    for (const m of g.members) {
      if (m.startsWith('group:')) fail(`groups.${g.key}: nested groups are not modelled (${m})`);
      if (m.includes(':')) ref(m, `groups.${g.key}`);
      else if (!keys.user.has(m)) fail(`groups.${g.key}: unknown member ${m}`);
    }
  }
  for (const a of seed.appRoleAssignments) {
    ref(a.principal, 'appRoleAssignments');
    if (!keys.app.has(a.resource) && a.resource !== GRAPH_RESOURCE_KEY) fail(`appRoleAssignments: unknown application ${a.resource}`);
  }
  for (const ra of seed.roleAssignments) ref(ra.principal, `roleAssignments.${ra.name}`);
  for (const da of seed.denyAssignments) {
    for (const p of da.principals) if (p !== 'everyone') ref(p, `denyAssignments.${da.name}`);
    for (const p of da.excludePrincipals) ref(p, `denyAssignments.${da.name}.excludePrincipals`);
  }
  for (const mg of seed.managementGroups) for (const s of mg.subscriptions) if (!subs.has(s)) fail(`managementGroups.${mg.id}: unknown subscription ${s}`);
  for (const rg of seed.resourceGroups) if (!subs.has(rg.subscription)) fail(`resourceGroups.${rg.name}: unknown subscription ${rg.subscription}`);
  for (const mi of seed.managedIdentities) {
    if (!rgs.has(`${mi.subscription}/${mi.resourceGroup.toLowerCase()}`)) fail(`managedIdentities.${mi.key}: unknown resource group ${mi.resourceGroup}`);
  }
  const agentSub = seed.managedIdentities.find((m) => m.key === seed.agent.identity)!.subscription;
  for (const rg of seed.agent.managedResourceGroups) {
    if (!rgs.has(`${agentSub}/${rg.toLowerCase()}`)) fail(`agent.managedResourceGroups: unknown resource group ${rg} in ${agentSub}`);
  }
  const elevate = seed.applications.find((a) => a.key === 'elevate')!;
  const roleValues = new Set(elevate.appRoles.map((r) => r.value));
  for (const u of seed.users) for (const r of u.appRoles) if (!roleValues.has(r)) fail(`users.${u.key}: unknown app role ${r}`);
  for (const u of seed.users) if (u.kind === 'guest' && !u.homeTenantId) fail(`users.${u.key}: a guest needs homeTenantId`);
  for (const u of seed.users) if (u.kind !== 'personal' && u.invited !== undefined) fail(`users.${u.key}: only a personal account has "invited"`);
  for (const u of seed.users) if (u.kind === 'personal' && u.invited === false && u.appRoles.length > 0) fail(`users.${u.key}: an uninvited personal account is not in the directory and cannot hold app roles`);
  const userOids = new Set(seed.users.map((u) => u.oid.toLowerCase()));
  for (const p of seed.conditionalAccessPolicies) {
    for (const u of [...p.conditions.users.includeUsers, ...p.conditions.users.excludeUsers]) {
      if (u !== 'All' && !userOids.has(u.toLowerCase())) fail(`conditionalAccessPolicies.${p.id}: unknown user ${u}`);
    }
  }
}
