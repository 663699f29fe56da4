/**
 * How a benchmark starts an in-process Elevate in sandbox mode: first under the sandbox's CA (the
 * process re-executes itself with the CA bundle when it does not trust it yet), then with its own
 * SQLite file, the given policies, and the per-agent rate limit lifted, since the benchmarks
 * measure the pipeline, not rate-limits.yaml.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/load-config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { prepareSandboxTrust, reexecWithCaBundle } from '../src/service/sandbox-trust.ts';
import { startService, type RunningService } from '../src/service/start-service.ts';
import { freePortPair } from './api-load.ts';
import { MAX_REQUESTS_PER_MINUTE } from '../src/policies/rate-limits-schema.ts';

export const REPO_POLICIES = fileURLToPath(new URL('../policies/', import.meta.url));

/**
 * True when this process trusts the sandbox CA of `dataDir`; otherwise it runs itself again with
 * the bundle, sets the exit code to the child's, and answers false: the caller returns.
 */
export async function underSandboxTrust(dataDir: string, log: (msg: string) => void = () => {}): Promise<boolean> {
  const trust = prepareSandboxTrust(dataDir);
  if (trust.trusted) return true;
  log('re-executing with the sandbox CA bundle');
  process.exitCode = await reexecWithCaBundle(trust.bundlePath);
  return false;
}

export interface BenchServiceOptions {
  /** The sandbox's data directory (its keys and CA), shared by a benchmark's services. */
  dataDir: string;
  /** Prefix of the temporary directory holding the SQLite file. */
  dbPrefix: string;
  policiesDir?: string;
  /** Where freePortPair starts looking, so two services of one run get different ports. */
  portOffset?: number;
}

/** A service on a database of its own, which `close` removes: benchmark runs leave nothing in the temp directory. */
export async function startBenchService(opts: BenchServiceOptions): Promise<RunningService> {
  const [httpsPort, httpPort] = await freePortPair(opts.portOffset ?? 0);
  const dbDir = mkdtempSync(join(tmpdir(), opts.dbPrefix));
  const config = parseConfig({
    ELEVATE_HOST: '127.0.0.1',
    ELEVATE_PORT: '0',
    ELEVATE_DB_PATH: join(dbDir, 'elevate.db'),
    ELEVATE_POLICIES_DIR: opts.policiesDir ?? REPO_POLICIES,
    ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE: String(MAX_REQUESTS_PER_MINUTE),
    ELEVATE_LOG_LEVEL: 'warn',
    ELEVATE_SANDBOX_PORT: String(httpsPort),
    ELEVATE_SANDBOX_HTTP_PORT: String(httpPort),
    ELEVATE_SANDBOX_DATA_DIR: opts.dataDir,
  });
  const service = await startService(config, { logger: createLogger('warn') });
  const close = service.close.bind(service);
  service.close = async () => {
    await close();
    rmSync(dbDir, { recursive: true, force: true });
  };
  return service;
}
