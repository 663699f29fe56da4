import type { ArmThrottle } from './arm-throttling.ts';
import type { Logger } from 'pino';
import type { TokenIssuer } from '../entra/token-issuer.ts';
import type { SigningKeyStore } from '../keys/signing-keys.ts';
import type { ArmState } from '../state/arm-state.ts';
import type { Directory } from '../state/directory.ts';
import type { SandboxStats } from '../state/sandbox-stats.ts';
import type { ActivityLog } from '../state/activity-events.ts';
import type { FiredAlerts } from '../state/fired-alerts.ts';
import type { AsyncOperations } from './async-operations.ts';

/** What every ARM handler of the sandbox works with. */
export interface ArmContext {
  origin: string;
  state: ArmState;
  directory: Directory;
  keys: SigningKeyStore;
  issuer: TokenIssuer;
  stats: SandboxStats;
  logger: Logger;
  /** page size of list operations (nextLink paging) */
  pageSize: number;
  operations: AsyncOperations;
  activity: ActivityLog;
  /** alerts the sandbox's Azure Monitor fired (Alerts Management) */
  alerts: FiredAlerts;
  /** ARM's request throttling (token buckets per subscription, principal and operation kind) */
  throttle: ArmThrottle;
}

/** The authenticated caller of an ARM request, from its verified token. */
export interface ArmCaller {
  principalId: string;
  tenantId: string;
  /** the client app (appid) */
  appId: string;
  isApp: boolean;
  /** what AuthorizationFailed calls the client: the UPN for users, the object id for apps */
  clientName: string;
}
