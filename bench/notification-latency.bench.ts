/**
 * Notification latency benchmark (issue 13): how long from an agent raising an elevation to its
 * notification arriving at the channel, on loopback. Starts Elevate in-process in sandbox mode
 * (its own sandbox) with policies/notifications.yaml routing `request.raised` to a Teams channel
 * and a signed CloudEvents webhook, both pointing at a local HTTP receiver in this process. The
 * Reader-level agent submits container-app revision restarts it may not do (each becomes
 * `pending_elevation`); for each, the time from sending the POST to the receiver getting the Teams
 * card and the CloudEvent. Peers in the same run: the agent API's own answer time for the same
 * submissions, and a bare POST of the same card to the same receiver (the floor any notifier pays).
 * Progress on stderr, Markdown on stdout. Re-executes itself with NODE_EXTRA_CA_CERTS when the
 * process does not trust the sandbox CA yet.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { ManagedIdentityCredential } from '@azure/identity';
import { parseConfig } from '../src/config/load-config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { startService } from '../src/service/start-service.ts';
import { freePortPair } from './api-load.ts';
import { underSandboxTrust } from './bench-service.ts';
import { MAX_REQUESTS_PER_MINUTE } from '../src/policies/rate-limits-schema.ts';

const COUNT = Number(process.env.BENCH_NOTIFICATIONS ?? 150);
// api-load's port pairs from 48943, clear of the decision benchmarks' (48643 on)
const PORT_OFFSET = 300;
const log = (msg: string) => process.stderr.write(`[notification-latency.bench] ${msg}\n`);
const repoPolicies = fileURLToPath(new URL('../policies/', import.meta.url));

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const ms = (v: number) => `${v.toFixed(1)}`;

function policiesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-bench-notify-policies-'));
  for (const f of readdirSync(repoPolicies)) if (f.endsWith('.yaml')) copyFileSync(join(repoPolicies, f), join(dir, f));
  writeFileSync(
    join(dir, 'notifications.yaml'),
    `channels:
  teams: { type: teams, urlEnv: ELEVATE_NOTIFY_TEAMS_URL }
  siem: { type: webhook, urlEnv: ELEVATE_NOTIFY_WEBHOOK_URL, secretEnv: ELEVATE_NOTIFY_WEBHOOK_SECRET }
routes:
  - { name: approvers, events: [request.raised], channels: [teams, siem] }
`,
  );
  return dir;
}

async function main(): Promise<void> {
  const dataDir = join(tmpdir(), 'elevate-bench-notify-sandbox');
  if (!(await underSandboxTrust(dataDir, log))) return;

  // The receiver: notes when each request's card and CloudEvent arrive (by the request id in the body).
  const arrivals = new Map<string, { teams?: number; hook?: number }>();
  const receiver = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const id = /\/approvals\/([0-9a-f-]{36})/.exec(body)?.[1];
      if (id) {
        const entry = arrivals.get(id) ?? {};
        if (req.url?.startsWith('/teams')) entry.teams ??= at;
        else if (req.url?.startsWith('/hook')) entry.hook ??= at;
        arrivals.set(id, entry);
      }
      res.writeHead(req.url?.startsWith('/teams') ? 202 : 200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const [httpsPort, httpPort] = await freePortPair(PORT_OFFSET);
  // Its database and policy copy are removed once the service has closed.
  const dbDir = mkdtempSync(join(tmpdir(), 'elevate-bench-notify-'));
  const policies = policiesDir();
  const config = parseConfig({
    ELEVATE_HOST: '127.0.0.1',
    ELEVATE_PORT: '0',
    ELEVATE_DB_PATH: join(dbDir, 'elevate.db'),
    ELEVATE_POLICIES_DIR: policies,
    ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE: String(MAX_REQUESTS_PER_MINUTE),
    ELEVATE_LOG_LEVEL: 'warn',
    ELEVATE_SANDBOX_PORT: String(httpsPort),
    ELEVATE_SANDBOX_HTTP_PORT: String(httpPort),
    ELEVATE_SANDBOX_DATA_DIR: dataDir,
    ELEVATE_NOTIFY_TEAMS_URL: `${receiverUrl}/teams/bench`,
    ELEVATE_NOTIFY_WEBHOOK_URL: `${receiverUrl}/hook/bench`,
    ELEVATE_NOTIFY_WEBHOOK_SECRET: 'whsec-bench-0123456789',
  });
  log(`starting Elevate and its sandbox (https ${httpsPort})`);
  const service = await startService(config, { logger: createLogger('warn') });
  try {
    const tenant = service.context.sandbox!.tenant;
    const token = (await new ManagedIdentityCredential({ clientId: tenant.agent.uamiClientId }).getToken(`${tenant.elevateApp.apiAudience}/.default`))!.token;
    const checkout = tenant.resourceGroups.flatMap((g) => g.resources).find((r) => r.name === 'ca-checkout')!;
    const revision = checkout.children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const submit = async () => {
      const sent = performance.now();
      const res = await fetch(`${service.listenUrl}/api/v1/operations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ method: 'POST', path: `${revision.id}/restart`, apiVersion: '2024-03-01', justification: 'bench: revision unhealthy', trigger: { kind: 'chat' }, idempotencyKey: randomUUID() }),
      });
      const body = (await res.json()) as { id: string; state: string };
      if (res.status !== 201 || body.state !== 'pending_elevation') throw new Error(`submit answered ${res.status} ${JSON.stringify(body)}`);
      return { id: body.id, sent, answered: performance.now() };
    };
    const waitArrival = async (id: string) => {
      const deadline = performance.now() + 30_000;
      for (;;) {
        const a = arrivals.get(id);
        if (a?.teams !== undefined && a.hook !== undefined) return a as { teams: number; hook: number };
        if (performance.now() > deadline) throw new Error(`no notification for ${id} within 30 s`);
        await new Promise((r) => setTimeout(r, 1));
      }
    };

    for (let i = 0; i < 10; i++) await waitArrival((await submit()).id); // warm-up
    const api: number[] = [];
    const teams: number[] = [];
    const hook: number[] = [];
    let card = '';
    log(`measuring ${COUNT} elevations, one at a time`);
    for (let i = 0; i < COUNT; i++) {
      const s = await submit();
      const a = await waitArrival(s.id);
      api.push(s.answered - s.sent);
      teams.push(a.teams - s.sent);
      hook.push(a.hook - s.sent);
      if (!card) card = JSON.stringify({ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', version: '1.4', body: [], bench: 'x'.repeat(1500) } }] });
    }
    // Peer: the bare POST of a card-sized body to the same receiver.
    const bare: number[] = [];
    for (let i = 0; i < COUNT; i++) {
      const t0 = performance.now();
      const res = await fetch(`${receiverUrl}/peer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: card });
      await res.arrayBuffer();
      bare.push(performance.now() - t0);
    }
    const p95 = percentile(teams, 95);
    const line = (name: string, v: number[]) => `| ${name} | ${ms(percentile(v, 50))} | ${ms(percentile(v, 95))} | ${ms(percentile(v, 99))} | ${ms(Math.max(...v))} |`;
    const out = [
      '### Notification latency: request raised → notification at the receiver (loopback)',
      '',
      `${COUNT} elevations submitted one at a time by the sandbox's Reader-level agent through \`POST /api/v1/operations\` (each answered 201 \`pending_elevation\`); notifications routed to a Teams channel (Adaptive Card) and a signed CloudEvents webhook, both at a local HTTP receiver. Times from sending the POST; the dispatcher is woken by the outbox write (no polling).`,
      '',
      '| measurement | p50 ms | p95 ms | p99 ms | max ms |',
      '|---|---:|---:|---:|---:|',
      line('agent API answers 201 (peer: the decision itself)', api),
      line('Teams card at the receiver', teams),
      line('CloudEvent (HMAC-signed) at the receiver', hook),
      line('bare POST of a card-sized body to the receiver (peer: the floor)', bare),
      '',
      `- Request → Teams card p95: **${ms(p95)} ms** (target < 1000 ms): ${p95 < 1000 ? 'met' : 'NOT met'}.`,
      `- The notification arrives ${ms(percentile(teams, 50) - percentile(api, 50))} ms (p50) after the agent's answer: delivery runs after the commit, off the request path.`,
      `- Machine load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (2 cores, shared).`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await service.close();
    await new Promise<void>((r) => receiver.close(() => r()));
    for (const dir of [dbDir, policies]) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
