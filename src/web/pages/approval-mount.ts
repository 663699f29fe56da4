/**
 * The approval capability for the composition root: the module over the operations lifecycle and
 * executor, the /approvals pages, and the sign-in continuation that completes an elevation.
 *
 * service/mount-approvals.ts mounts it from the service context.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { AuditLog } from '../../audit/audit-log.ts';
import { createApprovalsModule, type ApprovalsModule, type ApprovalsModuleDeps } from '../../approvals/approvals-module.ts';
import { APPROVAL_CONTINUATION } from '../../approvals/elevation-approval.ts';
import type { AzureEndpoints, ServiceCredentialSource } from '../../azure/azure-endpoints.ts';
import { exchangeOnBehalfOf, type OboExchangeResult } from '../../azure/obo-exchange.ts';
import { createMsalClientCredential } from '../../azure/service-credential.ts';
import type { Logger } from '../../observability/logger.ts';
import { agentCredentials } from '../../operations/operations-azure.ts';
import type { Agent, AgentDirectory } from '../../operations/operation-types.ts';
import { createSqliteAgentDirectory } from '../../operations/sqlite-agent-directory.ts';
import type { Policies } from '../../policies/policies.ts';
import { CSRF_FIELD, csrfTokenFor } from '../../sessions/csrf-protection.ts';
import type { SignIn } from '../../signin/sign-in.ts';
import type { Database } from '../../store/database.ts';
import type { WebRoute } from '../create-web-app.ts';
import { approvalPages } from './approval-pages.ts';
import { respondToDecision } from './approval-responses.ts';

export interface ApprovalsMountDeps {
  db: Database;
  operations: ApprovalsModuleDeps['operations'];
  signIn: Pick<SignIn, 'requireAbility' | 'csrfProtection' | 'decisionLimiter' | 'beginSignIn' | 'continuations'>;
  audit: Pick<AuditLog, 'append' | 'list'>;
  policies: Pick<Policies, 'approvals' | 'serviceRoles'>;
  endpoints: AzureEndpoints;
  /** Elevate's own app credential, for the on-behalf-of exchange. */
  serviceCredentialSource: ServiceCredentialSource;
  freshAuthSeconds: number;
  agents?: Pick<AgentDirectory, 'get'>;
  agentCredential?: (agent: Agent) => TokenCredential;
  /** Replaces the on-behalf-of exchange (to put Entra's refusals in front of the pages). */
  exchange?: (userAssertion: string) => Promise<OboExchangeResult>;
  clock?: () => Date;
  executionWaitMs?: number;
  /** ELEVATE_RECONCILE_INTERVAL_SECONDS, in ms. */
  reconcileIntervalMs?: number;
  logger?: Logger;
  /** The notification outbox (src/notifications). */
  outbox?: ApprovalsModuleDeps['outbox'];
  leases?: ApprovalsModuleDeps['leases'];
}

export interface ApprovalsMount {
  routes: WebRoute[];
  module: ApprovalsModule;
}

/** The delegated ARM scope on behalf of a user (`.default` names the app's own consented set). */
export const armUserImpersonationScope = (endpoints: Pick<AzureEndpoints, 'armScope'>) => endpoints.armScope.replace(/\/\.default$/, '/user_impersonation');

export function mountApprovals(deps: ApprovalsMountDeps): ApprovalsMount {
  const { endpoints } = deps;
  const clientCredential = createMsalClientCredential(deps.serviceCredentialSource);
  const scopes = [armUserImpersonationScope(endpoints)];
  const clock = deps.clock ?? (() => new Date());
  const module = createApprovalsModule({
    db: deps.db,
    operations: deps.operations,
    agents: deps.agents ?? createSqliteAgentDirectory(deps.db),
    agentCredential: deps.agentCredential ?? agentCredentials(),
    audit: deps.audit,
    policies: deps.policies,
    tenantId: endpoints.tenantId,
    freshAuthSeconds: deps.freshAuthSeconds,
    exchange: deps.exchange ?? ((userAssertion) => exchangeOnBehalfOf({ userAssertion, scopes, endpoints, clientCredential })),
    adminConsentUrl: `${endpoints.browserAuthorityHost}/${endpoints.tenantId}/adminconsent?client_id=${encodeURIComponent(endpoints.clientId)}`,
    clock,
    ...(deps.executionWaitMs !== undefined ? { executionWaitMs: deps.executionWaitMs } : {}),
    ...(deps.reconcileIntervalMs !== undefined ? { reconcileIntervalMs: deps.reconcileIntervalMs } : {}),
    logger: deps.logger?.child({ component: 'approvals' }),
    outbox: deps.outbox,
    leases: deps.leases,
  });

  const responder = { approvals: module, beginSignIn: deps.signIn.beginSignIn, clock };
  deps.signIn.continuations.register(APPROVAL_CONTINUATION, async (req, res, signIn) => {
    // The session was just regenerated: forms on the page need its new token.
    res.locals.csrfToken = csrfTokenFor(req);
    res.locals.csrfField = CSRF_FIELD;
    const result = await module.completeElevation(signIn);
    const previous = signIn.previousUser;
    await respondToDecision(responder, req, res, signIn.boundTo?.requestId ?? '', result, {
      afterSignIn: { accountSwitch: previous ? { from: previous.upn, to: signIn.user.upn } : undefined },
    });
  });

  return {
    module,
    routes: [
      {
        path: '/approvals',
        nav: { label: 'Approvals', href: '/approvals' },
        handlers: approvalPages({
          approvals: module,
          requireAbility: deps.signIn.requireAbility,
          csrfProtection: deps.signIn.csrfProtection,
          decisionLimiter: deps.signIn.decisionLimiter,
          beginSignIn: deps.signIn.beginSignIn,
          clock,
        }),
      },
    ],
  };
}
