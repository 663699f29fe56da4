/**
 * Driving Elevate's agent API under load, shared by the HTTP benchmarks (operations-api.bench.ts,
 * postgres.bench.ts): autocannon in a child process, free sandbox ports, the sandbox agent
 * registered and its managed-identity token.
 */
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { createRequire } from 'node:module';
import type { Server as HttpServer } from 'node:http';
import type { Result } from 'autocannon';
import express from 'express';
import type { RunningService } from '../src/service/start-service.ts';

const autocannonPath = createRequire(import.meta.url).resolve('autocannon');
const BASE_PORT = 48643;

export interface Load {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** replace __KEY__ in the body with a fresh value per request */
  uniqueKey?: boolean;
}

/**
 * autocannon in a child process, so the load generator does not share the server's event loop
 * (autocannon in a worker thread reports raw histograms only). The token travels on stdin,
 * never on a command line.
 */
/**
 * CPU time of this process's main thread (the event loop), in µs, from /proc (Linux; undefined
 * elsewhere). The event loop is what a single Node process saturates first, so its time per answer
 * is the figure that bounds req/s; process.cpuUsage() adds SQLite's and libuv's threads.
 * /proc/<pid>/task/<tid>/stat fields 14 and 15 are utime and stime in USER_HZ ticks, which Linux
 * fixes at 100 per second for this interface (proc(5)): 10 ms resolution, ~0.2% of a 5 s phase.
 */
export function mainThreadCpuMicros(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

export function hammer(load: Load, duration: number, connections: number): Promise<Result> {
  const code = `
    const autocannon = require(process.argv[1]);
    let input = '';
    process.stdin.on('data', (d) => (input += d));
    process.stdin.on('end', () => {
      const { load, duration, connections } = JSON.parse(input);
      let n = 0;
      const opts = { url: load.url, method: 'POST', headers: load.headers, body: load.body, duration, connections };
      if (load.uniqueKey) opts.requests = [{ method: 'POST', setupRequest: (req) => ({ ...req, body: load.body.replace('__KEY__', 'k-' + Date.now() + '-' + (++n)) }) }];
      autocannon(opts, (err, res) => {
        if (err) { process.stderr.write(String(err)); process.exit(1); }
        process.stdout.write(JSON.stringify(res));
      });
    });
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', code, autocannonPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => (status === 0 ? resolve(JSON.parse(out) as Result) : reject(new Error(`autocannon exited with ${status}`))));
    child.stdin.end(JSON.stringify({ load, duration, connections }));
  });
}

export function freePortPair(offset = 0): Promise<[number, number]> {
  const tryPort = (p: number) =>
    new Promise<boolean>((resolve) => {
      const s: Server = createServer();
      s.once('error', () => resolve(false));
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  return (async () => {
    for (let i = offset; i < offset + 40; i++) if ((await tryPort(BASE_PORT + i)) && (await tryPort(BASE_PORT - 400 + i))) return [BASE_PORT + i, BASE_PORT - 400 + i] as [number, number];
    throw new Error('no free port pair for the benchmark sandbox');
  })();
}

export /**
 * The agent's token from one sandbox's IMDS, through @azure/identity in a child process:
 * msal-node caches the managed-identity endpoint process-wide, so this process keeps asking the
 * first sandbox. The token travels on stdout (a pipe), never on a command line or in a log.
 */
function agentTokenFrom(imdsEndpoint: string, clientId: string, scope: string): Promise<string> {
  const code = `
    const { ManagedIdentityCredential } = await import(${JSON.stringify(createRequire(import.meta.url).resolve('@azure/identity'))});
    const t = await new ManagedIdentityCredential({ clientId: process.argv[1] }).getToken(process.argv[2]);
    process.stdout.write(t.token);
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code, clientId, scope], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, AZURE_POD_IDENTITY_AUTHORITY_HOST: imdsEndpoint } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => (status === 0 && out ? resolve(out) : reject(new Error(`token helper exited with ${status}`))));
  });
}

export async function registerAgent(service: RunningService): Promise<void> {
  const tenant = service.context.sandbox!.tenant;
  const now = new Date().toISOString();
  // The service may register the sandbox's agent itself at start; register it only if not.
  const known = await service.context.store.get<{ id: string }>('SELECT id FROM agents WHERE uami_principal_id = ? COLLATE NOCASE', [tenant.agent.uamiPrincipalId]);
  if (known) return;
  const agentId = 'bench-agent';
  await service.context.store.run(
    'INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [agentId, tenant.agent.name, tenant.agent.uamiClientId, tenant.agent.uamiPrincipalId, tenant.tenantId, 'Reader', 'Autonomous', now, now],
  );
  for (const rg of tenant.agent.resourceGroupIds) await service.context.store.run('INSERT INTO agent_resource_groups (agent_id, resource_group_id) VALUES (?, ?)', [agentId, rg]);
}

/**
 * The peer every decision benchmark compares against, in the same process and run: a bare express
 * JSON handler on loopback that parses the same body and answers a small object.
 */
export async function startBareExpressPeer(): Promise<HttpServer> {
  const peer = express();
  peer.use(express.json({ limit: '100kb' }));
  peer.post('/echo', (req, res) => {
    res.json({ ok: true, fields: Object.keys(req.body as object).length });
  });
  return new Promise<HttpServer>((resolve) => {
    const s = peer.listen(0, '127.0.0.1', () => resolve(s));
  });
}
