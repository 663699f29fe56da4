/**
 * Privileged Identity Management for Azure resources, as far as the sandbox models it: role
 * assignment schedule requests (AdminAssign / AdminRemove with an expiration), the schedules they
 * make, and whether the tenant may use the API at all (Entra ID P2 / Governance licence).
 *
 * https://learn.microsoft.com/rest/api/authorization/role-assignment-schedule-requests
 * https://learn.microsoft.com/rest/api/authorization/role-assignment-schedule-instances
 */

/** ScheduleInfo's expiration types (RoleAssignmentScheduleRequestPropertiesScheduleInfoExpiration.type). */
export type ExpirationType = 'AfterDuration' | 'AfterDateTime' | 'NoExpiration';

/** The request statuses the sandbox ever reports (a subset of the API's `Status`). */
export type ScheduleRequestStatus = 'Provisioned' | 'Granted' | 'Canceled' | 'Revoked' | 'Failed';

export interface ScheduleRequestRecord {
  id: string;
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
  requestType: string;
  status: ScheduleRequestStatus;
  justification: string | null;
  startDateTime: string;
  expiration: { type: ExpirationType; endDateTime: string | null; duration: string | null };
  targetRoleAssignmentScheduleId: string | null;
  requestorId: string;
  createdOn: string;
}

export interface ScheduleRecord {
  /** GUID; the schedule's and its (single) instance's name. */
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
  requestId: string;
  startDateTime: string;
  endDateTime: string | null;
  /** Set once the assignment exists; its id stays as `originRoleAssignmentId` after it ends. */
  roleAssignmentId: string | null;
  status: 'Granted' | 'Provisioned' | 'Expired' | 'Revoked' | 'Canceled';
  createdOn: string;
}

/**
 * Default role management policy for Azure resource roles: an administrator's active assignment
 * must expire, after at most 180 days (Expiration_Admin_Assignment, maximumDuration P180D).
 * https://learn.microsoft.com/rest/api/authorization/role-management-policies
 */
export const ADMIN_ASSIGNMENT_MAX_DURATION_MS = 180 * 24 * 3600 * 1000;

export class PimState {
  /** False models a tenant without Entra ID P2: every call answers AadPremiumLicenseRequired. */
  licensed = true;
  readonly requests = new Map<string, ScheduleRequestRecord>();
  readonly schedules = new Map<string, ScheduleRecord>();
}

/** ISO 8601 durations as PIM accepts them (PnDTnHnMnS, PTnH, PnW); undefined when malformed. */
export function parseIsoDuration(value: string): number | undefined {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(value);
  if (!m || value === 'P' || value.endsWith('T')) return undefined;
  const [w, d, h, min, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
  return ((((w! * 7 + d!) * 24 + h!) * 60 + min!) * 60 + s!) * 1000;
}
