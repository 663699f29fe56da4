/**
 * `elevate sandbox info`: what the embedded Azure sandbox seeds — tenant and subscription ids,
 * users with their app roles and Azure roles, resource groups, Elevate's app registration and the
 * agent's managed identity — and where it listens. Read from the seed file; no sandbox is started.
 */
import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config/load-config.ts';
import { loadSeed, SeedError } from '../../sandbox/seed/load-seed.ts';
import { buildTenantInfo, type SandboxTenantInfo } from '../../sandbox/seed/tenant-info.ts';
import { CliError, outputOption, printJson, printTable, type OutputFormat } from '../cli-output.ts';
import { reexecForSandboxTrust } from './levels-cli-context.ts';

interface InfoOptions {
  seed?: string;
  output: OutputFormat;
}

export interface SandboxInfoOutput {
  endpoints: { origin: string; browserOrigin: string; authority: string; armEndpoint: string; imdsEndpoint: string; dataDir: string };
  tenant: SandboxTenantInfo;
}

function section(title: string, rows: Array<Record<string, unknown>>, columns?: string[]): void {
  process.stdout.write(`\n${title}\n`);
  printTable(rows, columns);
}

function printInfoTables(info: SandboxInfoOutput): void {
  const t = info.tenant;
  printTable(
    [
      { setting: 'tenant', value: `${t.tenantId} (${t.tenantDomain}, ${t.displayName})` },
      { setting: 'authority', value: info.endpoints.authority },
      { setting: 'ARM endpoint', value: info.endpoints.armEndpoint },
      { setting: 'IMDS endpoint', value: info.endpoints.imdsEndpoint },
      { setting: 'sign-in page', value: info.endpoints.browserOrigin },
      { setting: 'data directory', value: info.endpoints.dataDir },
    ],
    ['setting', 'value'],
  );
  const app = t.elevateApp;
  section('Elevate app registration', [
    { field: 'client id', value: app.clientId },
    { field: 'client secret', value: app.clientSecret },
    { field: 'service principal', value: app.servicePrincipalId },
    { field: 'API audience', value: app.apiAudience },
    { field: 'delegated scope', value: app.delegatedScope },
    { field: 'optional claims (ID token)', value: app.optionalClaims.idToken.join(', ') || 'none (Entra default: no auth_time, no acct)' },
    { field: 'app roles', value: app.appRoles.map((r) => r.value).join(', ') },
    { field: 'managed identity (federated)', value: app.managedIdentity ? `${app.managedIdentity.name} ${app.managedIdentity.clientId}` : '' },
  ]);
  if (t.cliApp) {
    section('Elevate CLI (elevate requests, device code flow)', [
      { field: 'client id', value: t.cliApp.clientId },
      { field: 'allow public client flows', value: t.cliApp.isFallbackPublicClient ? 'yes' : 'no' },
      { field: 'API scope', value: t.cliApp.scope },
      { field: 'device login page', value: `${info.endpoints.browserOrigin}/devicelogin` },
    ]);
  }
  section('Agent', [
    { field: 'name', value: t.agent.name },
    { field: 'UAMI client id', value: t.agent.uamiClientId },
    { field: 'API scope (its token)', value: app.agentScope },
    { field: 'UAMI principal id', value: t.agent.uamiPrincipalId },
    { field: 'managed resource groups', value: t.agent.resourceGroupIds.map((id) => id.split('/').pop()).join(', ') },
  ]);
  section(
    'Users',
    t.users.map((u) => ({
      key: u.key,
      upn: u.upn,
      kind: u.kind,
      oid: u.oid,
      appRoles: u.appRoles.join(', '),
      azureRoles: u.azureRoles.map((r) => `${r.roleName} @ ${r.scope.split('/').pop()}${r.viaGroup ? ` (via ${r.viaGroup})` : ''}`).join('; '),
    })),
    ['key', 'upn', 'kind', 'oid', 'appRoles', 'azureRoles'],
  );
  section(
    'Subscriptions',
    t.subscriptions.map((s) => ({ name: s.displayName, subscriptionId: s.subscriptionId, managementGroup: s.managementGroupId ?? '' })),
  );
  section(
    'Resource groups',
    t.resourceGroups.map((g) => ({
      name: g.name,
      subscription: t.subscriptions.find((s) => s.subscriptionId === g.subscriptionId)?.displayName ?? g.subscriptionId,
      location: g.location,
      resources: g.resources.map((r) => `${r.name} (${r.type.split('/').pop()})`).join(', '),
    })),
  );
  section(
    'Other app registrations',
    t.otherApps.map((a) => ({ name: a.displayName, clientId: a.clientId, credential: a.certificate ? `certificate ${a.certificate.certificatePath}` : 'secret', elevateRoles: a.elevateAppRoles.join(', ') })),
  );
}

export function registerSandboxCommands(program: Command): void {
  const sandbox = program.command('sandbox').description('the embedded local Azure sandbox (Entra ID, managed identity, ARM)');
  sandbox
    .command('info')
    .description('print the seeded tenant: ids, users, resource groups, app registration, agent identity')
    .option('--seed <file>', 'seed file (default: ELEVATE_SANDBOX_SEED or the built-in seed)')
    .addOption(outputOption())
    .action((opts: InfoOptions) => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig();
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message);
        throw err;
      }
      let tenant: SandboxTenantInfo;
      try {
        tenant = buildTenantInfo(loadSeed(opts.seed ?? config.sandbox.seedFile), config.sandbox.dataDir);
      } catch (err) {
        if (err instanceof SeedError) throw new CliError(err.message);
        throw err;
      }
      const origin = `https://localhost:${config.sandbox.httpsPort}`;
      const info: SandboxInfoOutput = {
        endpoints: {
          origin,
          browserOrigin: `http://127.0.0.1:${config.sandbox.httpPort}`,
          authority: `${origin}/${tenant.tenantId}`,
          armEndpoint: origin,
          imdsEndpoint: origin,
          dataDir: config.sandbox.dataDir,
        },
        tenant,
      };
      if (opts.output === 'json') printJson(info);
      else printInfoTables(info);
    });

  sandbox
    .command('fire-alert')
    .description("fire a test Azure Monitor alert at the running service's secure webhook, as an action group does")
    .option('--target <resourceId>', 'the alerted resource (default: the first resource in the agent\'s first managed resource group)')
    .option('--kind <kind>', 'metric, log or activity', 'metric')
    .option('--rule <name>', 'the alert rule name')
    .option('--severity <sev>', 'Sev0 .. Sev4', 'Sev2')
    .option('--resolve <alertId>', 'resolve an alert fired before instead (its id)')
    .addOption(outputOption())
    .action(async (opts: { target?: string; kind: string; rule?: string; severity: string; resolve?: string; output: OutputFormat }) => {
      if (await reexecForSandboxTrust()) return;
      if (!['metric', 'log', 'activity'].includes(opts.kind)) throw new CliError('--kind must be metric, log or activity');
      const { fireSandboxAlert } = await import('./alert-webhook-check.ts');
      const result = await fireSandboxAlert(loadConfig(), { target: opts.target, kind: opts.kind as 'metric', rule: opts.rule, severity: opts.severity, resolve: opts.resolve });
      if (opts.output === 'json') printJson(result);
      else printTable([{ alertId: result.alertId, condition: result.monitorCondition, webhook: String(result.status), answer: JSON.stringify(result.body).slice(0, 200) }]);
      if (result.status >= 300) throw new CliError(`Elevate's webhook answered ${result.status}`, 1);
    });
}
