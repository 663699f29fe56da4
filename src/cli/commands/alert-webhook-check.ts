/**
 * Fires a test alert at the running service's secure webhook through the sandbox's Azure Monitor:
 * `elevate sandbox fire-alert` and the alert check of `elevate doctor --alerts` share it, so both
 * exercise the path a real action group takes (token for Elevate's registration, common schema).
 */
import type { Config } from '../../config/load-config.ts';
import { loadSeed } from '../../sandbox/seed/load-seed.ts';
import { buildTenantInfo } from '../../sandbox/seed/tenant-info.ts';
import type { FireAlertResult } from '../../sandbox/monitor/action-group-webhook.ts';
import { FireAlertError, requestFireAlert } from '../../sandbox/monitor/fire-alert-client.ts';
import { AZURE_MONITOR_WEBHOOK_PATH } from '../../web/api/alert-intake-routes.ts';
import { CliError } from '../cli-output.ts';

export interface AlertCheckOptions {
  target?: string | undefined;
  kind?: 'metric' | 'log' | 'activity';
  rule?: string | undefined;
  severity?: string | undefined;
  resolve?: string | undefined;
}

/** Elevate's secure webhook URL as configured (ELEVATE_PUBLIC_URL, else host and port). */
export function webhookUrlOf(config: Config): string {
  const base = config.http.publicUrl ?? `http://${config.http.host}:${config.http.port}`;
  return `${base.replace(/\/+$/, '')}${AZURE_MONITOR_WEBHOOK_PATH}`;
}

export async function fireSandboxAlert(config: Config, o: AlertCheckOptions = {}): Promise<FireAlertResult> {
  if (config.mode !== 'sandbox') throw new CliError('this drives the sandbox\'s Azure Monitor; with a real tenant, use "Test action group" in the Azure portal (Monitor > Alerts > Action groups)');
  const tenant = buildTenantInfo(loadSeed(config.sandbox.seedFile), config.sandbox.dataDir);
  const group = tenant.resourceGroups.find((g) => tenant.agent.resourceGroupIds.some((id) => id.toLowerCase().endsWith(`/resourcegroups/${g.name.toLowerCase()}`)));
  // A workload, not an alert rule or diagnostic setting that lives beside it.
  const target = o.target ?? (group?.resources.find((r) => !r.type.toLowerCase().startsWith('microsoft.insights/')) ?? group?.resources[0])?.id;
  if (!target) throw new CliError('--target is required: the agent manages no resource group with resources');
  try {
    return await requestFireAlert({
      sandboxOrigin: `https://localhost:${config.sandbox.httpsPort}`,
      webhookUrl: webhookUrlOf(config),
      targetResourceId: target,
      kind: o.kind ?? 'metric',
      ...(o.severity ? { severity: o.severity } : {}),
      ...(o.rule ? { alertRule: o.rule } : {}),
      ...(o.resolve ? { resolveAlertId: o.resolve } : {}),
    });
  } catch (err) {
    if (err instanceof FireAlertError) throw new CliError(err.message, 1);
    throw err;
  }
}
