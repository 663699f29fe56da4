import type { Request, Response } from 'express';
import type { ArmResourceRecord } from '../state/arm-state.ts';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { isAllowed } from './arm-authorize.ts';
import { armErrors } from './arm-errors.ts';
import { resourceJson } from './arm-json.ts';

/**
 * PUT (create or replace) for the resource types Elevate's content guardrails inspect: Key Vault
 * vaults, SQL servers, storage accounts, network security groups and their security rules,
 * container apps (with their managed identities), and diagnostic settings on any resource.
 *
 * ARM semantics modelled (https://learn.microsoft.com/en-us/rest/api/resources/resources/create-or-update-by-id):
 *   - a PUT replaces the resource: properties and tags not sent are gone (tags: {} when absent);
 *   - a tracked top-level resource needs `location` (400 LocationRequired), and an existing one
 *     cannot move (400 InvalidResourceLocation);
 *   - 201 when created, 200 when replaced;
 *   - property defaults of the provider apply when a property is omitted, e.g. a Key Vault's
 *     enableRbacAuthorization is false unless sent (api-versions up to 2024-11-01:
 *     https://learn.microsoft.com/en-us/rest/api/keyvault/keyvault/vaults/create-or-update#vaultproperties),
 *     enableSoftDelete true (https://learn.microsoft.com/en-us/azure/key-vault/general/soft-delete-overview);
 *   - attaching a user-assigned identity is a linked access check: the caller needs
 *     Microsoft.ManagedIdentity/userAssignedIdentities/assign/action on the identity, else 403
 *     LinkedAuthorizationFailed (https://learn.microsoft.com/en-us/entra/identity/managed-identities-azure-resources/how-manage-user-assigned-managed-identities#manage-access-to-user-assigned-managed-identities).
 */

const TRACKED = new Set(['microsoft.keyvault/vaults', 'microsoft.sql/servers', 'microsoft.storage/storageaccounts', 'microsoft.network/networksecuritygroups', 'microsoft.app/containerapps']);
const CHILDREN = new Set(['microsoft.network/networksecuritygroups/securityrules', 'microsoft.storage/storageaccounts/blobservices']);
const EXTENSION = 'microsoft.insights/diagnosticsettings';
const ASSIGN = 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action';
const DESTINATIONS = ['workspaceId', 'storageAccountId', 'eventHubAuthorizationRuleId', 'marketplacePartnerId'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The type PUT would create at `path`, lower-cased, when the sandbox serves PUT for it. */
export function puttableType(path: string): { type: string; kind: 'tracked' | 'child' | 'extension'; parentId?: string } | undefined {
  const segs = path.split('/');
  const lastProviders = segs.map((s) => s.toLowerCase()).lastIndexOf('providers');
  if (lastProviders > 6) {
    const ns = segs[lastProviders + 1] ?? '';
    const type = `${ns}/${segs[lastProviders + 2] ?? ''}`.toLowerCase();
    if (type === EXTENSION && segs.length === lastProviders + 4) return { type, kind: 'extension', parentId: segs.slice(0, lastProviders).join('/') };
    return undefined;
  }
  const pairs = segs.slice(7);
  if (pairs.length % 2 !== 0) return undefined;
  const type = [segs[6], ...pairs.filter((_, i) => i % 2 === 0)].join('/').toLowerCase();
  if (TRACKED.has(type)) return { type, kind: 'tracked' };
  if (CHILDREN.has(type)) return { type, kind: 'child', parentId: segs.slice(0, -2).join('/') };
  return undefined;
}

/** ARM's identity block as the provider returns it: principal ids filled in for each identity. */
export function identityOf(ctx: ArmContext, caller: ArmCaller, action: string, scope: string, raw: unknown): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw armErrors.invalidRequestContent("'identity' must be an object");
  const type = String(raw.type ?? 'None');
  if (!/^(None|SystemAssigned|UserAssigned|SystemAssigned,\s?UserAssigned)$/i.test(type)) {
    throw armErrors.invalidParameter(`The identity type '${type.slice(0, 40)}' is not supported. Supported types: None, SystemAssigned, UserAssigned, 'SystemAssigned,UserAssigned'.`);
  }
  if (/^none$/i.test(type)) return undefined;
  const out: Record<string, unknown> = { type };
  if (/systemassigned/i.test(type)) out.principalId = crypto.randomUUID();
  if (/systemassigned/i.test(type)) out.tenantId = ctx.state.tenantId;
  if (/userassigned/i.test(type)) {
    const ids = isObject(raw.userAssignedIdentities) ? Object.keys(raw.userAssignedIdentities) : [];
    if (ids.length === 0) throw armErrors.invalidParameter("The identity type 'UserAssigned' requires at least one entry in userAssignedIdentities.");
    const assigned: Record<string, unknown> = {};
    for (const id of ids) {
      // Checked before existence, as ARM does: no permission, no hint whether it exists.
      if (!isAllowed(ctx, caller, ASSIGN, id)) throw armErrors.linkedAuthorizationFailed(caller.clientName, caller.principalId, action, scope, ASSIGN, id);
      const mi = ctx.state.resource(id);
      if (!mi || mi.type.toLowerCase() !== 'microsoft.managedidentity/userassignedidentities') throw armErrors.invalidParameter(`Resource '${id.slice(0, 300)}' was not found.`);
      assigned[mi.id] = { principalId: mi.properties.principalId, clientId: mi.properties.clientId };
    }
    out.userAssignedIdentities = assigned;
  }
  return out;
}

function defaultsFor(type: string, properties: Record<string, unknown>): Record<string, unknown> {
  if (type === 'microsoft.keyvault/vaults') return { enableRbacAuthorization: false, enableSoftDelete: true, softDeleteRetentionInDays: 90, ...properties };
  return properties;
}

export function putResource(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, path: string, action: string, scope: string, subscriptionId: string, resourceGroup: string): boolean {
  const target = puttableType(path);
  if (!target) return false;
  const body = req.body as unknown;
  if (!isObject(body)) throw armErrors.invalidRequestContent('the request body must be a JSON object');
  const existing = ctx.state.resource(path);
  const segs = path.split('/');
  const name = segs[segs.length - 1]!;
  const { provisioningState: _ignored, ...sent } = isObject(body.properties) ? body.properties : {};
  if (body.properties !== undefined && !isObject(body.properties)) throw armErrors.invalidParameter("'properties' must be an object.");
  if (body.tags !== undefined && (!isObject(body.tags) || !Object.values(body.tags).every((v) => typeof v === 'string'))) throw armErrors.invalidParameter("'tags' must be an object of strings.");

  let parent: ArmResourceRecord | undefined;
  if (target.parentId) {
    parent = ctx.state.resource(target.parentId);
    if (!parent) {
      const p = target.parentId.split('/');
      throw armErrors.resourceNotFound(`${p[6]}/${p.slice(7).filter((_, i) => i % 2 === 0).join('/')}/${p.slice(7).filter((_, i) => i % 2 === 1).join('/')}`, resourceGroup);
    }
  }
  if (target.kind === 'extension' && !DESTINATIONS.some((d) => typeof sent[d] === 'string' && sent[d] !== '')) {
    // https://learn.microsoft.com/en-us/azure/azure-monitor/essentials/diagnostic-settings#destinations
    throw armErrors.invalidParameter(`A diagnostic setting needs at least one destination: ${DESTINATIONS.join(', ')}.`);
  }
  let location = parent?.location ?? '';
  if (target.kind === 'tracked') {
    if (typeof body.location !== 'string' || body.location.trim() === '') throw armErrors.locationRequired();
    location = body.location;
    const norm = (l: string) => l.replace(/\s+/g, '').toLowerCase();
    if (existing && norm(existing.location) !== norm(location)) throw armErrors.invalidResourceLocation(existing.name, existing.location, resourceGroup, location);
  }
  const record: ArmResourceRecord = {
    id: existing?.id ?? path,
    name: existing?.name ?? name,
    type: existing?.type ?? [segs[target.kind === 'extension' ? segs.length - 3 : 6], ...(target.kind === 'extension' ? [segs[segs.length - 2]] : segs.slice(7).filter((_, i) => i % 2 === 0))].join('/'),
    location,
    properties: { ...defaultsFor(target.type, sent), provisioningState: 'Succeeded' },
    subscriptionId,
    resourceGroup,
  };
  if (target.kind === 'tracked') record.tags = isObject(body.tags) ? { ...(body.tags as Record<string, string>) } : {};
  if (parent) record.parentId = parent.id;
  if (isObject(body.sku)) record.sku = { ...body.sku };
  else if (existing?.sku) record.sku = existing.sku;
  if (typeof body.kind === 'string') record.kind = body.kind;
  else if (existing?.kind) record.kind = existing.kind;
  const identity = identityOf(ctx, caller, action, scope, body.identity);
  if (identity) record.identity = identity;
  ctx.state.putResource(record);
  res.status(existing ? 200 : 201).json(resourceJson(record));
  return true;
}

/**
 * PATCH of a resource's identity block (JSON merge patch over what is attached: a user-assigned
 * identity set to null is detached, `type: None` removes all), checked like a PUT's.
 * https://learn.microsoft.com/en-us/azure/container-apps/managed-identity#remove-an-identity
 */
export function patchIdentity(ctx: ArmContext, caller: ArmCaller, action: string, scope: string, r: ArmResourceRecord, patch: unknown): void {
  if (patch === undefined) return;
  if (patch === null) {
    delete r.identity;
    return;
  }
  if (!isObject(patch)) throw armErrors.invalidRequestContent("'identity' must be an object");
  const current = isObject(r.identity?.userAssignedIdentities) ? Object.keys(r.identity.userAssignedIdentities) : [];
  const assigned: Record<string, unknown> = Object.fromEntries(current.map((id) => [id, {}]));
  if (isObject(patch.userAssignedIdentities)) {
    for (const [id, v] of Object.entries(patch.userAssignedIdentities)) {
      const known = Object.keys(assigned).find((k) => k.toLowerCase() === id.toLowerCase());
      if (known) delete assigned[known];
      if (v !== null) assigned[id] = {};
    }
  }
  const raw = { type: patch.type ?? r.identity?.type ?? 'None', ...(Object.keys(assigned).length > 0 ? { userAssignedIdentities: assigned } : {}) };
  const next = identityOf(ctx, caller, action, scope, raw);
  if (next) r.identity = next;
  else delete r.identity;
}
