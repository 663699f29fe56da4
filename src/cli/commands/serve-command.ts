import type { Command } from 'commander';
import { outputOption, printJson, type OutputFormat } from '../cli-output.ts';
import { loadConfig } from '../../config/load-config.ts';
import { createLogger } from '../../observability/logger.ts';
import { installShutdownHandlers } from '../../service/shutdown.ts';
import { startService } from '../../service/start-service.ts';
import { formatStartupSummary, startupSummary } from '../../service/startup-summary.ts';

/**
 * `elevate serve`: with no tenant configured, the service and the sandbox in one process; with
 * AZURE_TENANT_ID set, the service alone against Entra ID and ARM.
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Start the Elevate web service (and the local sandbox tenant when no Azure tenant is configured)')
    .addOption(outputOption())
    .action(async (opts: { output: OutputFormat }) => {
      const config = loadConfig();
      if (config.mode === 'sandbox') {
        const { prepareSandboxTrust, reexecWithCaBundle } = await import('../../service/sandbox-trust.ts');
        const trust = prepareSandboxTrust(config.sandbox.dataDir);
        if (!trust.trusted) {
          process.exitCode = await reexecWithCaBundle(trust.bundlePath);
          return;
        }
      }
      const logger = createLogger(config.logLevel);
      const service = await startService(config, { logger });
      installShutdownHandlers(service.close, logger);
      const summary = startupSummary(service);
      if (opts.output === 'json') printJson(summary);
      else process.stdout.write(formatStartupSummary(summary));
    });
}
