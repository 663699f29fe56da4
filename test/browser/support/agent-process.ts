import { spawn } from 'node:child_process';
import { sandboxInfo } from '../../support/sandbox-context.ts';
import type { ServiceProcess } from './service-process.ts';

/**
 * The agent as a separate process, as on Azure: it gets its token from the managed-identity
 * endpoint of the sandbox that `elevate serve` started (the banner names its origin and CA), so
 * the service sees exactly what a real agent would send. One command in, one JSON answer out.
 */
export interface AgentProcess {
  run<T>(script: string, args: string[]): Promise<T>;
}

export function agentProcess(service: ServiceProcess): AgentProcess {
  const sandboxOrigin = /Entra \/ ARM \/ IMDS: +(\S+)/.exec(service.output())![1]!;
  const sandboxCa = /Local CA: +(\S+)/.exec(service.output())![1]!;
  const tenant = sandboxInfo().tenant;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ELEVATE_URL: service.url,
    AGENT_CLIENT_ID: tenant.agent.uamiClientId,
    API_AUDIENCE: tenant.elevateApp.apiAudience,
    AZURE_POD_IDENTITY_AUTHORITY_HOST: sandboxOrigin,
    NODE_EXTRA_CA_CERTS: sandboxCa,
  };
  return {
    run<T>(script: string, args: string[]): Promise<T> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
        child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as T) : reject(new Error(`${script} ${args[0] ?? ''} exited ${code}: ${err}`))));
      });
    },
  };
}
