import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { roleGuidOf } from '../../rbac/compiled-role.ts';
import { ADMIN_ASSIGNMENT_MAX_DURATION_MS, parseIsoDuration, type ExpirationType, type ScheduleRecord, type ScheduleRequestRecord } from '../state/pim-state.ts';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { requirePermission } from './arm-authorize.ts';
import { ArmError, armErrors } from './arm-errors.ts';
import { pageOf, queryParam } from './arm-paging.ts';
import { existingScope } from './arm-scope.ts';
import { scopeRelator } from './scope-relation.ts';

/**
 * PIM for Azure resources: Microsoft.Authorization/roleAssignmentScheduleRequests (create, get,
 * list, cancel), roleAssignmentSchedules and roleAssignmentScheduleInstances (list, get).
 *
 * https://learn.microsoft.com/rest/api/authorization/role-assignment-schedule-requests
 * https://learn.microsoft.com/rest/api/authorization/role-assignment-schedule-instances
 * https://learn.microsoft.com/rest/api/authorization/role-assignment-schedules
 * Error codes: https://learn.microsoft.com/rest/api/authorization/includes/privileged-role-common-errors
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REQUEST_TYPES = ['AdminAssign', 'AdminRemove', 'AdminUpdate', 'AdminExtend', 'AdminRenew', 'SelfActivate', 'SelfDeactivate', 'SelfExtend', 'SelfRenew'];
/** Statuses from which a request may still be cancelled ("a request which has not been provisioned yet"). */
const CANCELLABLE = new Set(['Granted']);

const pimErrors = {
  // Without Entra ID P2 (or ID Governance) every PIM call for Azure resources answers this.
  licenceRequired: () => new ArmError(400, 'AadPremiumLicenseRequired', 'The tenant needs an AAD Premium 2 license.'),
  policyFailed: (rule: string) => new ArmError(400, 'RoleAssignmentRequestPolicyValidationFailed', `The following policy rules failed: ["${rule}"]`),
  exists: () => new ArmError(409, 'RoleAssignmentExists', 'The Role assignment already exists.'),
  requestExists: (name: string) => new ArmError(409, 'RoleAssignmentRequestExists', `The role assignment request '${name}' already exists.`),
  noAssignment: () => new ArmError(400, 'RoleAssignmentDoesNotExist', 'The Role assignment does not exist.'),
  invalidSchedule: (why: string) => new ArmError(400, 'InvalidRoleAssignmentRequestSchedule', `The role assignment request schedule is invalid. ${why}`),
  requestNotFound: (name: string) => new ArmError(404, 'RoleAssignmentScheduleRequestNotFound', `The role assignment schedule request '${name}' is not found.`),
  notCancellable: (status: string) => new ArmError(400, 'InvalidRequestStatus', `The request is in status '${status}' and cannot be cancelled; only a request that has not been provisioned yet can.`),
  scheduleNotFound: (name: string) => new ArmError(404, 'RoleAssignmentScheduleNotFound', `The role assignment schedule '${name}' is not found.`),
};

function licensed(ctx: ArmContext): void {
  if (!ctx.state.pim.licensed) throw pimErrors.licenceRequired();
}

const prefix = (scope: string) => (scope === '/' ? '' : scope);

function requestJson(r: ScheduleRequestRecord): Record<string, unknown> {
  return {
    properties: {
      scope: r.scope,
      roleDefinitionId: r.roleDefinitionId,
      principalId: r.principalId,
      principalType: r.principalType,
      requestType: r.requestType,
      status: r.status,
      approvalId: null,
      scheduleInfo: { startDateTime: r.startDateTime, expiration: { type: r.expiration.type, endDateTime: r.expiration.endDateTime, duration: r.expiration.duration } },
      targetRoleAssignmentScheduleId: r.targetRoleAssignmentScheduleId,
      targetRoleAssignmentScheduleInstanceId: null,
      linkedRoleEligibilityScheduleId: null,
      justification: r.justification,
      ticketInfo: { ticketNumber: null, ticketSystem: null },
      condition: null,
      conditionVersion: null,
      createdOn: r.createdOn,
      requestorId: r.requestorId,
    },
    name: r.name,
    id: r.id,
    type: 'Microsoft.Authorization/RoleAssignmentScheduleRequests',
  };
}

function scheduleJson(s: ScheduleRecord, kind: 'schedule' | 'instance'): Record<string, unknown> {
  const isInstance = kind === 'instance';
  const collection = isInstance ? 'roleAssignmentScheduleInstances' : 'roleAssignmentSchedules';
  return {
    properties: {
      scope: s.scope,
      roleDefinitionId: s.roleDefinitionId,
      principalId: s.principalId,
      principalType: s.principalType,
      ...(isInstance
        ? { roleAssignmentScheduleId: `${prefix(s.scope)}/providers/Microsoft.Authorization/roleAssignmentSchedules/${s.name}`, originRoleAssignmentId: s.roleAssignmentId }
        : { roleAssignmentScheduleRequestId: s.requestId, linkedRoleEligibilityScheduleId: null }),
      status: s.status === 'Granted' ? 'Granted' : 'Provisioned',
      startDateTime: s.startDateTime,
      endDateTime: s.endDateTime,
      assignmentType: 'Assigned',
      memberType: 'Direct',
      createdOn: s.createdOn,
      condition: null,
      conditionVersion: null,
    },
    name: s.name,
    id: `${prefix(s.scope)}/providers/Microsoft.Authorization/${collection}/${s.name}`,
    type: `Microsoft.Authorization/${collection}`,
  };
}

interface Filter {
  atScope: boolean;
  principalId?: string;
  assignedTo?: string;
  asTarget: boolean;
  asRequestor: boolean;
  status?: string;
}

/** The $filter terms the PIM list operations accept; anything else is refused, not ignored. */
function parseFilter(raw: string | undefined, allowed: ReadonlyArray<keyof Filter>): Filter {
  const out: Filter = { atScope: false, asTarget: false, asRequestor: false };
  if (raw === undefined || raw.trim() === '') return out;
  const refuse = () => new ArmError(400, 'UnsupportedQuery', `The filter '${raw.slice(0, 300)}' is not supported. Supported filters are ${allowed.map((a) => `'${a}'`).join(', ')}.`);
  for (const term of raw.trim().split(/\s+and\s+/i)) {
    let m: RegExpExecArray | null;
    if (/^atScope\(\)$/i.test(term) && allowed.includes('atScope')) out.atScope = true;
    else if (/^asTarget\(\)$/i.test(term) && allowed.includes('asTarget')) out.asTarget = true;
    else if (/^asRequestor\(\)$/i.test(term) && allowed.includes('asRequestor')) out.asRequestor = true;
    else if ((m = /^principalId\s+eq\s+'([^']*)'$/i.exec(term)) && GUID.test(m[1]!) && allowed.includes('principalId')) out.principalId = m[1]!.toLowerCase();
    else if ((m = /^assignedTo\('([^']*)'\)$/i.exec(term)) && GUID.test(m[1]!) && allowed.includes('assignedTo')) out.assignedTo = m[1]!.toLowerCase();
    else if ((m = /^status\s+eq\s+'([A-Za-z]{1,40})'$/i.exec(term)) && allowed.includes('status')) out.status = m[1]!;
    else throw refuse();
  }
  return out;
}

function requestAt(ctx: ArmContext, scope: string, name: string): ScheduleRequestRecord | undefined {
  return ctx.state.pim.requests.get(`${prefix(scope)}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${name}`.toLowerCase());
}

export function createScheduleRequest(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, name: string): void {
  const parsed = existingScope(ctx, scope);
  licensed(ctx);
  requirePermission(ctx, caller, 'Microsoft.Authorization/roleAssignmentScheduleRequests/write', parsed.scope);
  if (!GUID.test(name)) throw armErrors.invalidParameter(`The role assignment schedule request name '${name.slice(0, 100)}' is not valid. It must be a GUID.`);
  if (requestAt(ctx, parsed.scope, name)) throw pimErrors.requestExists(name);
  const body = req.body as { properties?: Record<string, unknown> } | undefined;
  const p = body && typeof body === 'object' && body.properties && typeof body.properties === 'object' ? body.properties : undefined;
  if (!p) throw armErrors.invalidRequestContent("the body must have a 'properties' object");
  const str = (v: unknown, what: string, max: number): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v.length > max) throw armErrors.invalidParameter(`The property '${what}' is invalid.`);
    return v;
  };
  const requestType = str(p.requestType, 'requestType', 40);
  if (!requestType || !REQUEST_TYPES.includes(requestType)) throw armErrors.invalidParameter(`The property 'requestType' must be one of ${REQUEST_TYPES.join(', ')}.`);
  const roleDefinitionId = str(p.roleDefinitionId, 'roleDefinitionId', 512);
  const principalId = str(p.principalId, 'principalId', 64);
  if (!roleDefinitionId) throw armErrors.invalidParameter("The property 'roleDefinitionId' is required.");
  if (!principalId) throw armErrors.invalidParameter("The property 'principalId' is required.");
  const guid = roleGuidOf(roleDefinitionId);
  const role = ctx.state.roleDefinition(guid);
  if (!role || !/\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/i.test(roleDefinitionId)) throw armErrors.roleDefinitionDoesNotExist(guid.slice(0, 100));
  if (!GUID.test(principalId)) throw armErrors.principalNotFound(principalId.slice(0, 64), ctx.directory.tenantId);
  const principal = ctx.directory.principal(principalId);
  if (!principal) throw armErrors.principalNotFound(principalId, ctx.directory.tenantId);
  const justification = str(p.justification, 'justification', 500) ?? null;
  const now = ctx.state.clock.now();
  const sameAssignment = (a: { principalId: string; roleDefinitionId: string; scope: string }) =>
    a.principalId === principal.id && roleGuidOf(a.roleDefinitionId) === guid && a.scope.toLowerCase() === parsed.scope.toLowerCase();
  const record = (status: ScheduleRequestRecord['status'], start: string, expiration: ScheduleRequestRecord['expiration'], target: string | null): ScheduleRequestRecord => ({
    id: `${prefix(parsed.scope)}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/${name.toLowerCase()}`,
    name: name.toLowerCase(),
    scope: parsed.scope,
    roleDefinitionId: ctx.state.roleDefinitionIdAt(parsed.scope, role.name),
    principalId: principal.id,
    principalType: principal.type,
    requestType,
    status,
    justification,
    startDateTime: start,
    expiration,
    targetRoleAssignmentScheduleId: target,
    requestorId: caller.principalId,
    createdOn: now.toISOString(),
  });

  if (requestType === 'SelfActivate' || requestType === 'SelfExtend' || requestType === 'SelfRenew') {
    // Activation needs an eligibility, which the sandbox never holds for anyone.
    throw pimErrors.policyFailed('EligibilityRule');
  }
  if (requestType === 'AdminRemove' || requestType === 'SelfDeactivate') {
    const schedule = [...ctx.state.pim.schedules.values()].find((s) => (s.status === 'Provisioned' || s.status === 'Granted') && sameAssignment(s));
    if (!schedule) throw pimErrors.noAssignment();
    if (schedule.roleAssignmentId) ctx.state.deleteAssignment(schedule.roleAssignmentId);
    schedule.status = 'Revoked';
    const r = record('Revoked', now.toISOString(), { type: 'NoExpiration', endDateTime: null, duration: null }, `${prefix(parsed.scope)}/providers/Microsoft.Authorization/roleAssignmentSchedules/${schedule.name}`);
    ctx.state.pim.requests.set(r.id.toLowerCase(), r);
    ctx.logger.info({ request: r.id, by: caller.principalId }, 'sandbox arm: PIM assignment removed');
    res.status(201).json(requestJson(r));
    return;
  }
  if (requestType !== 'AdminAssign') throw armErrors.invalidParameter(`The sandbox does not implement requestType '${requestType}'.`);
  // The default policy's Enablement_Admin_Assignment rule asks an administrator for a justification.
  if (justification === null || justification.trim() === '') throw pimErrors.policyFailed('JustificationRule');

  const info = p.scheduleInfo && typeof p.scheduleInfo === 'object' ? (p.scheduleInfo as Record<string, unknown>) : {};
  const exp = info.expiration && typeof info.expiration === 'object' ? (info.expiration as Record<string, unknown>) : {};
  const startRaw = str(info.startDateTime, 'scheduleInfo.startDateTime', 40);
  const start = startRaw === undefined ? now : new Date(startRaw);
  if (Number.isNaN(start.getTime())) throw pimErrors.invalidSchedule('startDateTime is not a date.');
  const type = (str(exp.type, 'scheduleInfo.expiration.type', 20) ?? 'NoExpiration') as ExpirationType;
  let end: Date | null;
  let duration: string | null = null;
  if (type === 'AfterDuration') {
    duration = str(exp.duration, 'scheduleInfo.expiration.duration', 40) ?? null;
    const ms = duration === null ? undefined : parseIsoDuration(duration);
    if (ms === undefined || ms <= 0) throw pimErrors.invalidSchedule('expiration.duration must be an ISO 8601 duration.');
    end = new Date(start.getTime() + ms);
  } else if (type === 'AfterDateTime') {
    const raw = str(exp.endDateTime, 'scheduleInfo.expiration.endDateTime', 40);
    end = raw === undefined ? new Date(NaN) : new Date(raw);
    if (Number.isNaN(end.getTime())) throw pimErrors.invalidSchedule('expiration.endDateTime is not a date.');
  } else if (type === 'NoExpiration') {
    end = null;
  } else {
    throw armErrors.invalidParameter("The property 'scheduleInfo.expiration.type' must be AfterDuration, AfterDateTime or NoExpiration.");
  }
  if (end !== null && end.getTime() <= Math.max(start.getTime(), now.getTime())) throw pimErrors.invalidSchedule('The end is not after the start.');
  // The default policy: an administrator's active assignment must expire, within 180 days.
  if (end === null || end.getTime() - start.getTime() > ADMIN_ASSIGNMENT_MAX_DURATION_MS) throw pimErrors.policyFailed('ExpirationRule');
  if (ctx.state.allAssignments().some(sameAssignment)) throw pimErrors.exists();

  const scheduleName = randomUUID();
  const schedule: ScheduleRecord = {
    name: scheduleName,
    scope: parsed.scope,
    roleDefinitionId: ctx.state.roleDefinitionIdAt(parsed.scope, role.name),
    principalId: principal.id,
    principalType: principal.type,
    requestId: '',
    startDateTime: start.toISOString(),
    endDateTime: end.toISOString(),
    roleAssignmentId: null,
    status: 'Granted',
    createdOn: now.toISOString(),
  };
  const r = record('Granted', start.toISOString(), { type, endDateTime: type === 'AfterDateTime' ? end.toISOString() : null, duration }, `${prefix(parsed.scope)}/providers/Microsoft.Authorization/roleAssignmentSchedules/${scheduleName}`);
  schedule.requestId = r.id;
  ctx.state.pim.schedules.set(scheduleName, schedule);
  ctx.state.syncSchedules();
  // A schedule that starts now is provisioned at once; one that starts later stays Granted (cancellable).
  if (schedule.status === 'Provisioned') r.status = 'Provisioned';
  ctx.state.pim.requests.set(r.id.toLowerCase(), r);
  ctx.logger.info({ request: r.id, role: role.roleName, principalId: principal.id, end: schedule.endDateTime, by: caller.principalId }, 'sandbox arm: PIM time-bound assignment requested');
  res.status(201).json(requestJson(r));
}

export function getScheduleRequest(_req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, name: string): void {
  const parsed = existingScope(ctx, scope);
  licensed(ctx);
  requirePermission(ctx, caller, 'Microsoft.Authorization/roleAssignmentScheduleRequests/read', parsed.scope);
  const r = requestAt(ctx, parsed.scope, name);
  if (!r) throw pimErrors.requestNotFound(name.slice(0, 100));
  ctx.state.syncSchedules();
  res.json(requestJson(r));
}

export function listScheduleRequests(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, path: string): void {
  const parsed = existingScope(ctx, scope);
  licensed(ctx);
  requirePermission(ctx, caller, 'Microsoft.Authorization/roleAssignmentScheduleRequests/read', parsed.scope);
  const f = parseFilter(queryParam(req, '$filter'), ['atScope', 'principalId', 'asRequestor', 'status']);
  const relate = scopeRelator(ctx.state);
  const items = [...ctx.state.pim.requests.values()].filter((r) => {
    const rel = relate(r.scope, parsed.scope);
    if (rel === 'unrelated' || (f.atScope && rel === 'below')) return false;
    if (f.principalId && r.principalId !== f.principalId) return false;
    if (f.asRequestor && r.requestorId !== caller.principalId) return false;
    if (f.status && r.status.toLowerCase() !== f.status.toLowerCase()) return false;
    return true;
  });
  res.json(pageOf(req, ctx.origin, path, items.map(requestJson), ctx.pageSize));
}

export function cancelScheduleRequest(_req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, name: string): void {
  const parsed = existingScope(ctx, scope);
  licensed(ctx);
  requirePermission(ctx, caller, 'Microsoft.Authorization/roleAssignmentScheduleRequests/cancel/action', parsed.scope);
  const r = requestAt(ctx, parsed.scope, name);
  if (!r) throw pimErrors.requestNotFound(name.slice(0, 100));
  ctx.state.syncSchedules();
  if (!CANCELLABLE.has(r.status)) throw pimErrors.notCancellable(r.status);
  r.status = 'Canceled';
  const scheduleName = r.targetRoleAssignmentScheduleId?.split('/').pop();
  const schedule = scheduleName ? ctx.state.pim.schedules.get(scheduleName) : undefined;
  if (schedule) schedule.status = 'Canceled';
  res.status(200).end();
}

export function listSchedules(req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, path: string, kind: 'schedule' | 'instance'): void {
  const parsed = existingScope(ctx, scope);
  licensed(ctx);
  requirePermission(ctx, caller, `Microsoft.Authorization/${kind === 'instance' ? 'roleAssignmentScheduleInstances' : 'roleAssignmentSchedules'}/read`, parsed.scope);
  const f = parseFilter(queryParam(req, '$filter'), ['atScope', 'principalId', 'assignedTo', 'asTarget']);
  ctx.state.syncSchedules();
  const relate = scopeRelator(ctx.state);
  const target = f.asTarget ? caller.principalId : f.assignedTo;
  const principals = target ? new Set([target, ...ctx.directory.groupIdsOf(target)]) : undefined;
  // Instances are what is in force now; schedules also list those granted for later.
  const live = (s: ScheduleRecord) => s.status === 'Provisioned' || (kind === 'schedule' && s.status === 'Granted');
  const items = [...ctx.state.pim.schedules.values()].filter((s) => {
    if (!live(s)) return false;
    const rel = relate(s.scope, parsed.scope);
    if (rel === 'unrelated' || (f.atScope && rel === 'below')) return false;
    if (f.principalId && s.principalId !== f.principalId) return false;
    if (principals && !principals.has(s.principalId)) return false;
    return true;
  });
  res.json(pageOf(req, ctx.origin, path, items.map((s) => scheduleJson(s, kind)), ctx.pageSize));
}

export function getSchedule(_req: Request, res: Response, caller: ArmCaller, ctx: ArmContext, scope: string, name: string, kind: 'schedule' | 'instance'): void {
  const parsed = existingScope(ctx, scope);
  licensed(ctx);
  requirePermission(ctx, caller, `Microsoft.Authorization/${kind === 'instance' ? 'roleAssignmentScheduleInstances' : 'roleAssignmentSchedules'}/read`, parsed.scope);
  ctx.state.syncSchedules();
  const s = ctx.state.pim.schedules.get(name.toLowerCase());
  if (!s || s.scope.toLowerCase() !== parsed.scope.toLowerCase() || (kind === 'instance' && s.status !== 'Provisioned')) throw pimErrors.scheduleNotFound(name.slice(0, 100));
  res.json(scheduleJson(s, kind));
}
