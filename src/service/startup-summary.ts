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
            users: sandbox.tenant.users.map((u) => ({ upn: u.upn, displayName: u.displayName, kind: u.kind, appRoles: [...u.appRoles] })),
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
      'Sandbox users (sign in as any of them):',
    );
    const width = Math.max(...s.sandbox.users.map((u) => u.upn.length), 4);
    for (const u of s.sandbox.users) {
      lines.push(`  ${u.upn.padEnd(width)}  ${u.kind.padEnd(8)}  ${u.appRoles.length ? u.appRoles.join(', ') : '(no Elevate role)'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
