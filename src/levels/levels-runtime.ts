import type { TokenCredential } from '@azure/core-auth';
import { createAgentRegistry, type AgentRegistry, type AuditAppender } from '../agents/agent-registry.ts';
import { createArmResourceGroupVerifier } from '../agents/arm-resource-group-verifier.ts';
import { createArmPipelineClient } from '../azure/arm-pipeline-client.ts';
import type { AzureEndpoints } from '../azure/azure-endpoints.ts';
import { createAgentCredential } from '../azure/service-credential.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Policies } from '../policies/policies.ts';
import type { RoleCatalog } from '../rbac/role-catalog.ts';
import type { Database } from '../store/database.ts';
import { createArmAssignmentReader } from './arm-assignment-reader.ts';
import { createArmAssignmentWriter } from './arm-assignment-writer.ts';
import { createLevelArmClients } from './arm-level-clients.ts';
import { createArmResourceLister } from './arm-resource-lister.ts';
import type { ProviderOperation } from './candidate-operations.ts';
import { runDoctorChecks, type DoctorReport } from './doctor-checks.ts';
import type { DoctorFacts, GovernanceFacts } from './doctor-facts.ts';
import { gatherDoctorFacts } from './doctor-gatherer.ts';
import { gatherSignInFacts } from './doctor-sign-ins.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { createInventoryService, type InventoryService } from './inventory-service.ts';
import { createLevelEnforcer, type LevelEnforcer } from './level-enforcer.ts';
import { createArmRaiseGrantGateway, type RaiseGrantGateway } from '../raises/arm-raise-grants.ts';
import { createRaiseService, type RaiseService } from '../raises/raise-service.ts';
import { resolveRequester, type UserDirectory } from '../directory/requester-identity.ts';
import { createRaiseStore } from '../raises/raise-store.ts';
import { startRaiseSweeper } from '../raises/raise-sweeper.ts';
import { leaderOnly, type SingletonLeases } from '../store/singleton-leases.ts';

export interface LevelsRuntimeDeps {
  mode: 'sandbox' | 'azure';
  store: Database;
  audit: AuditAppender;
  endpoints: AzureEndpoints;
  /** Elevate's governance credential: reads inventory and role assignments, writes role assignments. */
  governanceCredential: TokenCredential;
  governance: { kind: GovernanceFacts['credentialKind']; clientId: string; federatedTokenFile?: string };
  policies: Pick<Policies, 'levels'> & Partial<Pick<Policies, 'approvals'>>;
  roleCatalog: RoleCatalog;
  /** Elevate's clock (raise windows); the wall clock unless given. */
  clock?: () => Date;
  /** How long a level raise may wait for approval; ELEVATE_REQUEST_TTL_SECONDS. */
  raisePendingTtlSeconds?: number;
  /** Wraps the raises' Azure gateway (e.g. to count or to interpose on its calls). */
  raiseGateway?: (arm: RaiseGrantGateway) => RaiseGrantGateway;
  /** ELEVATE_INVENTORY_REFRESH_SECONDS: cache lifetime and schedule period of the inventory. */
  inventoryRefreshSeconds: number;
  logger?: Logger;
  metrics?: Pick<Metrics, 'armRequests'>;
  /** The operations permission cache's invalidate: apply calls it for the principal it changed. */
  onRolesChanged?: (principalId: string) => void;
  providerOperations?: readonly ProviderOperation[];
  /** The agent's UAMI credential for doctor probes; defaults to ManagedIdentityCredential. */
  agentCredential?: (uamiClientId: string) => TokenCredential;
  /** The audit log, read by doctor for recent sign-ins (whether they carry auth_time). */
  auditReader?: Pick<AuditLog, 'list'>;
  /** The directory an agent's "asked by" is resolved in for a raise's four eyes (Microsoft Graph). */
  userDirectory?: UserDirectory;
  /** Several instances: only the leaders run the raise sweeper and the inventory schedule (default: this instance). */
  leases?: SingletonLeases | undefined;
}

export interface LevelsRuntime {
  registry: AgentRegistry;
  inventory: InventoryService;
  enforcer: LevelEnforcer;
  /** Time-bound level raises (src/raises). */
  raises: RaiseService;
  /** Sweeps raises every `intervalSeconds` (and once now); returns the stop function. */
  startRaiseSweeper(intervalSeconds: number): () => void;
  doctor(agentRef: string): Promise<DoctorReport & { facts: DoctorFacts }>;
  /** Refreshes every registered agent's groups on the inventory schedule; returns the stop function. */
  startInventorySchedule(): () => void;
}

/**
 * The agent registry and level enforcement, wired over ARM with Elevate's governance credential.
 * Used by the service's composition root and by the CLI alike.
 */
export function createLevelsRuntime(deps: LevelsRuntimeDeps): LevelsRuntime {
  const count = deps.metrics ? (purpose: string, status: string) => deps.metrics!.armRequests.inc({ purpose, status }) : undefined;
  const clients = createLevelArmClients(deps.governanceCredential, deps.endpoints, count);
  const pipelineOptions = { ...(deps.logger ? { logger: deps.logger } : {}), ...(deps.metrics ? { metrics: deps.metrics } : {}) };
  const governanceArm = createArmPipelineClient(deps.governanceCredential, deps.endpoints, pipelineOptions);
  const registry = createAgentRegistry({
    db: deps.store,
    audit: deps.audit,
    verifier: createArmResourceGroupVerifier(governanceArm),
    tenantId: deps.endpoints.tenantId,
  });
  const inventory = createInventoryService({ lister: createArmResourceLister(clients), maxAgeSeconds: deps.inventoryRefreshSeconds });
  const enforcer = createLevelEnforcer({
    registry,
    inventory,
    reader: createArmAssignmentReader(clients),
    writer: createArmAssignmentWriter(clients),
    policies: deps.policies,
    catalog: deps.roleCatalog.roles,
    audit: deps.audit,
    ...(deps.providerOperations ? { providerOperations: deps.providerOperations } : {}),
    ...(deps.onRolesChanged ? { onRolesChanged: deps.onRolesChanged } : {}),
    heldByRaises: (agentId) => raises.heldGrants(agentId),
  });
  const armGateway = createArmRaiseGrantGateway(clients);
  const raiseGateway = deps.raiseGateway ? deps.raiseGateway(armGateway) : armGateway;
  const raises = createRaiseService({
    store: createRaiseStore(deps.store),
    agents: registry,
    inventory,
    policies: deps.policies,
    catalog: deps.roleCatalog.roles,
    gateway: raiseGateway,
    audit: deps.audit,
    clock: deps.clock ?? (() => new Date()),
    pendingTtlSeconds: deps.raisePendingTtlSeconds ?? 3600,
    ...(deps.onRolesChanged ? { onRolesChanged: deps.onRolesChanged } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.userDirectory ? { resolveRequester: (spelling: string) => resolveRequester(spelling, deps.userDirectory!) } : {}),
  });
  const agentCredential = deps.agentCredential ?? createAgentCredential;

  return {
    registry,
    inventory,
    enforcer,
    raises,
    startRaiseSweeper(intervalSeconds) {
      return startRaiseSweeper({ sweep: leaderOnly(deps.leases, 'raise-sweeper', () => raises.sweep(), undefined) }, intervalSeconds * 1000);
    },
    async doctor(agentRef) {
      const agent = await registry.get(agentRef);
      const facts = await gatherDoctorFacts(agent, {
        mode: deps.mode,
        endpoints: deps.endpoints,
        enforcer,
        agentCredential,
        governanceCredential: deps.governanceCredential,
        governance: deps.governance,
        arm: (credential) => createArmPipelineClient(credential, deps.endpoints, { ...pipelineOptions, retry: { maxRetries: 0 } }),
      });
      const firstGroup = agent.resourceGroupIds[0];
      if (firstGroup) {
        // Asks Azure now (a read of schedule instances), so the answer holds even before any raise.
        const problem = await raiseGateway.pimProblem(firstGroup, agent.uamiPrincipalId).catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
        const mode = problem === undefined ? ({ mode: 'pim', reason: 'role assignment schedules can be read and written here; Azure ends each window itself' } as const) : ({ mode: 'fallback', reason: problem } as const);
        facts.raiseMode = { ...mode, scope: firstGroup };
        raises.observeMode({ ...mode, at: (deps.clock ?? (() => new Date()))().toISOString() });
      }
      if (deps.auditReader) {
        try {
          facts.signIns = await gatherSignInFacts(deps.auditReader);
        } catch (err) {
          deps.logger?.warn({ reason: err instanceof Error ? err.message.split('\n')[0] : String(err) }, 'doctor: could not read recent sign-ins');
        }
      }
      return { ...runDoctorChecks(facts), facts };
    },
    startInventorySchedule() {
      return inventory.schedule(
        // Elsewhere than on the leader a tick refreshes no group.
        leaderOnly(deps.leases, 'inventory-refresh', async () => (await registry.list()).flatMap((a) => a.resourceGroupIds), [] as string[]),
        deps.inventoryRefreshSeconds,
        (err) => deps.logger?.warn({ reason: err instanceof Error ? err.message.split('\n')[0] : String(err) }, 'scheduled inventory refresh failed'),
      );
    },
  };
}
