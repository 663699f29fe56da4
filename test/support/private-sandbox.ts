import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/observability/logger.ts';
import { startSandbox, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/start-sandbox.ts';
import { sandboxTlsFiles } from '../../src/sandbox/tls/sandbox-tls.ts';
import { sandboxInfo } from './sandbox-context.ts';

/**
 * A second, private sandbox for a test that must change process-wide things (rotate signing keys,
 * read exact counters) without disturbing the shared one. It gets its own data directory (own
 * signing keys) but a copy of the shared sandbox's CA and server certificate, so the worker —
 * which trusts the shared CA through NODE_EXTRA_CA_CERTS — trusts it too. Free ports.
 */
export async function startPrivateSandbox(options: Partial<SandboxOptions> = {}): Promise<SandboxHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-private-sandbox-'));
  const from = sandboxTlsFiles(sandboxInfo().dataDir);
  const to = sandboxTlsFiles(dir);
  for (const k of ['caCertPath', 'caKeyPath', 'serverCertPath', 'serverKeyPath'] as const) copyFileSync(from[k], to[k]);
  return startSandbox({ httpsPort: 0, httpPort: 0, dataDir: dir, logger: createLogger('silent'), ...options });
}
