import type { TokenCredential } from '@azure/core-auth';
import type { ApiTokenValidator } from '../azure/api-token-validator.ts';
import type { AzureEndpoints, ServiceCredentialSource } from '../azure/azure-endpoints.ts';
import type { Config } from '../config/load-config.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Policies } from '../policies/policies.ts';
import type { RoleCatalog } from '../rbac/role-catalog.ts';
import type { SandboxHandle } from '../sandbox/start-sandbox.ts';
import type { ChangeBus } from '../store/change-bus.ts';
import type { Database } from '../store/database.ts';
import type { InstanceLiveness } from '../store/instance-liveness.ts';
import type { SingletonLeases } from '../store/singleton-leases.ts';

/**
 * Everything the composition root built, handed to capabilities when they mount. Built once per
 * service start; nothing in it reads configuration on its own.
 */
export interface ServiceContext {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  endpoints: AzureEndpoints;
  store: Database;
  policies: Policies;
  roleCatalog: RoleCatalog;
  /** How Elevate authenticates as its own app (the OBO exchange builds its MSAL credential from it). */
  serviceCredentialSource: ServiceCredentialSource;
  /** Elevate's governance credential for ARM role-assignment changes. */
  serviceCredential: TokenCredential;
  /** Validates bearer tokens presented to Elevate's API. */
  tokenValidator: ApiTokenValidator;
  /** Elevate's clock (level-raise windows); the wall clock unless the composition is given one. */
  clock?: () => Date;
  /** The running sandbox in sandbox mode; undefined with a real tenant. */
  sandbox: SandboxHandle | undefined;
  /**
   * Registers work to do when the service stops (sweepers, timers, pools). Runs after the HTTP
   * server has stopped taking requests and before the store closes, in reverse registration order.
   */
  onShutdown(fn: () => Promise<void> | void): void;
  /** Aborted as soon as the service starts stopping, before the HTTP server closes (ends live streams). */
  stopping?: AbortSignal;
  /**
   * Several instances on one database (PostgreSQL: store/postgres-coordination.ts): which instance
   * runs each singleton job, and how a change wakes waiters on the others. Absent: this instance
   * is the only one (always the leader; changes reach this process only).
   */
  leases?: SingletonLeases;
  changes?: ChangeBus;
  /** This instance's id and whether others are alive (executions and tokens of a live instance are not reconciled). */
  liveness?: InstanceLiveness;
  /** The URL people reach Elevate at: ELEVATE_PUBLIC_URL, else the configured host and port (links in notifications). */
  publicUrl?: string;
}
