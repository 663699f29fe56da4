/**
 * Where `elevate requests` finds Elevate and how it signs in: Elevate's base URL, the tenant's
 * authority, the public client app registration (device code flow) and the API scope. Flags win,
 * then the configuration (ELEVATE_URL, AZURE_TENANT_ID, ELEVATE_CLI_CLIENT_ID, ELEVATE_API_AUDIENCE,
 * AZURE_AUTHORITY_HOST); in sandbox mode the rest comes from the sandbox's seed and ports, as
 * `elevate sandbox info` prints them.
 */
import type { Config } from '../../config/load-config.ts';
import { buildTenantInfo } from '../../sandbox/seed/tenant-info.ts';
import { loadSeed, SeedError } from '../../sandbox/seed/load-seed.ts';
import { CliError } from '../cli-output.ts';

export interface RequestsCliFlags {
  url?: string;
  tenant?: string;
  clientId?: string;
  scope?: string;
}

export interface RequestsCliSettings {
  mode: Config['mode'];
  elevateUrl: string;
  tenantId: string;
  /** `${authorityHost}/${tenantId}` */
  authority: string;
  /** hosts MSAL may trust without instance discovery (the sandbox's) */
  knownAuthorities: string[];
  clientId: string;
  scope: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkedUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`--url: expected an http:// or https:// URL, got ${JSON.stringify(value.slice(0, 80))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError('--url: expected an http:// or https:// URL');
  return url.href.replace(/\/+$/, '');
}

export function resolveRequestsCliSettings(config: Config, flags: RequestsCliFlags): RequestsCliSettings {
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  const elevateUrl = checkedUrl(flags.url ?? config.cli.elevateUrl ?? config.http.publicUrl ?? `http://${host}:${config.http.port}`);
  let tenantId: string | undefined;
  let clientId: string | undefined;
  let scope: string | undefined;
  let authorityHost: string;
  let knownAuthorities: string[] = [];
  if (config.mode === 'sandbox') {
    let tenant;
    try {
      tenant = buildTenantInfo(loadSeed(config.sandbox.seedFile), config.sandbox.dataDir);
    } catch (err) {
      if (err instanceof SeedError) throw new CliError(err.message);
      throw err;
    }
    authorityHost = `https://localhost:${config.sandbox.httpsPort}`;
    knownAuthorities = [`localhost:${config.sandbox.httpsPort}`];
    tenantId = tenant.tenantId;
    clientId = config.cli.clientId ?? tenant.cliApp?.clientId;
    scope = tenant.cliApp?.scope ?? tenant.elevateApp.delegatedScope;
  } else {
    authorityHost = config.azure.authorityHost;
    tenantId = config.azure.tenantId;
    clientId = config.cli.clientId;
    scope = config.azure.apiAudience ? `${config.azure.apiAudience.replace(/\/+$/, '')}/user_impersonation` : undefined;
  }
  tenantId = flags.tenant ?? tenantId;
  clientId = flags.clientId ?? clientId;
  scope = flags.scope ?? scope;
  if (!tenantId || !GUID.test(tenantId)) throw new CliError('no tenant: set AZURE_TENANT_ID or pass --tenant <guid>');
  if (!clientId || !GUID.test(clientId)) {
    throw new CliError("no client id for the CLI: register a public client app ('Allow public client flows' on, permission to Elevate's user_impersonation) and set ELEVATE_CLI_CLIENT_ID or pass --client-id <guid>");
  }
  if (!scope || /\s/.test(scope)) throw new CliError("no API scope: set ELEVATE_API_AUDIENCE (or AZURE_CLIENT_ID) or pass --scope api://<elevate-client-id>/user_impersonation");
  return { mode: config.mode, elevateUrl, tenantId, authority: `${authorityHost}/${tenantId}`, knownAuthorities, clientId, scope };
}
