import type { RunningService } from './start-service.ts';

export interface StartupSummary {
  mode: 'sandbox' | 'azure';
  elevateUrl: string;
  tenantId: string;
  sandbox?: {
    /** Entra, IMDS and ARM for SDKs (https, local CA). */
    origin: string;
    /** Where browsers sign in. */
    browserOrigin: string;
    caCertPath: string;
    /** The NODE_EXTRA_CA_CERTS bundle an agent process needs to reach the sandbox. */
    caBundlePath: string;
    /** What an agent needs to get its token for Elevate's API (README, "How the agent gets its token"). */
    agent: { name: string; uamiClientId: string; apiScope: string; imdsEndpoint: string };
    users: Array<{ upn: string; displayName: string; kind: string; appRoles: string[] }>;
  };
}

export function startupSummary(service: RunningService): StartupSummary {
  const { endpoints, sandbox, config } = service.context;
  return {
    mode: config.mode,
    elevateUrl: service.url,
    tenantId: endpoints.tenantId,
    ...(sandbox
      ? {
          sandbox: {
            origin: sandbox.origin,
            browserOrigin: sandbox.browserOrigin,
            caCertPath: sandbox.caCertPath,
            caBundlePath: sandbox.caBundlePath,
            agent: {
              name: sandbox.tenant.agent.name,
              uamiClientId: sandbox.tenant.agent.uamiClientId,
              apiScope: sandbox.tenant.elevateApp.agentScope,
              imdsEndpoint: sandbox.imdsEndpoint,
            },
            users: sandbox.tenant.users.map((u) => ({ upn: u.upn, displayName: u.displayName, kind: u.invited ? u.kind : `${u.kind}, not invited`, appRoles: [...u.appRoles] })),
          },
        }
      : {}),
  };
}

/** Human-readable start-up text for the terminal. */
export function formatStartupSummary(s: StartupSummary): string {
  const lines = [`Elevate is running at ${s.elevateUrl}`, `Tenant: ${s.tenantId}${s.mode === 'sandbox' ? ' (sandbox)' : ''}`];
  if (s.sandbox) {
    lines.push(
      '',
      'Sandbox tenant: a local simulation of Entra ID and Azure Resource Manager; nothing reaches Azure.',
      `  Entra / ARM / IMDS: ${s.sandbox.origin}`,
      `  Browser sign-in:    ${s.sandbox.browserOrigin}`,
      `  Local CA:           ${s.sandbox.caCertPath}`,
      '',
      `Agent ${s.sandbox.agent.name} (token for Elevate's API with its managed identity):`,
      `  UAMI client id:     ${s.sandbox.agent.uamiClientId}`,
      `  API scope:          ${s.sandbox.agent.apiScope}`,
      `  environment:        AZURE_POD_IDENTITY_AUTHORITY_HOST=${s.sandbox.agent.imdsEndpoint} NODE_EXTRA_CA_CERTS=${s.sandbox.caBundlePath}`,
      '',
      'Sandbox users (sign in as any of them):',
    );
    const width = Math.max(...s.sandbox.users.map((u) => u.upn.length), 4);
    for (const u of s.sandbox.users) {
      lines.push(`  ${u.upn.padEnd(width)}  ${u.kind.padEnd(8)}  ${u.appRoles.length ? u.appRoles.join(', ') : '(no Elevate role)'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
