/**
 * One Elevate instance for the HTTP benchmarks, in a process of its own (as replicas behind a
 * load balancer are, each with its own event loop): sandbox mode with its own sandbox on free
 * ports, sharing the sandbox data directory given as argv[2] (so every instance trusts the same CA
 * and signs with the same keys). The settings arrive as one JSON line on stdin (the database URL
 * holds a password: never on a command line); it answers one JSON line on stdout, `{ url, token }`
 * (the agent's token for its API, on a pipe, never logged), and stops when stdin ends.
 */
import { createInterface } from 'node:readline';
import { parseConfig } from '../src/config/load-config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { prepareSandboxTrust, reexecWithCaBundle } from '../src/service/sandbox-trust.ts';
import { startService } from '../src/service/start-service.ts';
import { agentTokenFrom, freePortPair, registerAgent } from './api-load.ts';

const dataDir = process.argv[2];
const portOffset = Number(process.argv[3] ?? 0);
if (!dataDir) throw new Error('usage: elevate-instance.ts <sandbox data dir> [port offset]');
const trust = prepareSandboxTrust(dataDir);
if (!trust.trusted) {
  process.exitCode = await reexecWithCaBundle(trust.bundlePath);
} else {
  const lines = createInterface({ input: process.stdin });
  const first = await new Promise<string>((resolve) => lines.once('line', resolve));
  const env = JSON.parse(first) as Record<string, string>;
  const [httpsPort, httpPort] = await freePortPair(portOffset);
  const config = parseConfig({ ...env, ELEVATE_HOST: '127.0.0.1', ELEVATE_PORT: '0', ELEVATE_SANDBOX_PORT: String(httpsPort), ELEVATE_SANDBOX_HTTP_PORT: String(httpPort), ELEVATE_SANDBOX_DATA_DIR: dataDir });
  const service = await startService(config, { logger: createLogger('warn') });
  await registerAgent(service);
  const tenant = service.context.sandbox!.tenant;
  const token = await agentTokenFrom(service.context.sandbox!.imdsEndpoint, tenant.agent.uamiClientId, `${tenant.elevateApp.apiAudience}/.default`);
  const app = tenant.resourceGroups.find((g) => g.name === 'rg-sre-apps')!.resources.find((r) => r.type === 'Microsoft.App/containerApps')!;
  process.stdout.write(`${JSON.stringify({ url: service.listenUrl, token, appId: app.id })}\n`);
  await new Promise<void>((resolve) => lines.once('close', resolve));
  await service.close();
}
