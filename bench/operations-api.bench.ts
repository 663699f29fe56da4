/**
 * Agent operations API benchmark. Starts Elevate in-process in sandbox mode (its own sandbox on
 * ports other than the tests' and the default ones), registers the seeded agent, and drives the
 * API over loopback with autocannon (in a child process, so the load generator does not share
 * the server's event loop):
 *   1. a bare express JSON handler (the peer: same body, same connections, same run);
 *   2. POST /api/v1/decisions: decision-only, the full pipeline incl. token validation, agent
 *      look-up, validation, permission check from the cache, and the audit append;
 *   3. POST /api/v1/operations: reads decided and executed against the sandbox's ARM, each with
 *      a fresh idempotency key (request row, five audit entries, one ARM call each).
 * Also counts the ARM reads the permission cache made during the measured phases (steady state,
 * after one warm-up decision): ARM reads per 1,000 decisions.
 * Progress on stderr, Markdown on stdout. Re-executes itself with NODE_EXTRA_CA_CERTS when the
 * process does not trust the sandbox CA yet.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ManagedIdentityCredential } from '@azure/identity';
import type { Result } from 'autocannon';
import type { RunningService } from '../src/service/start-service.ts';
import { createDecisionDeps } from '../src/operations/decision-deps.ts';
import { decideOperation } from '../src/operations/decision-pipeline.ts';
import type { Agent, OperationInput } from '../src/operations/operation-types.ts';
import { loadPolicies } from '../src/policies/load-policies.ts';
import type { Decision } from '../src/rbac/rbac-types.ts';
import { loadBuiltinCatalog } from '../src/rbac/role-catalog.ts';
import { agentTokenFrom, hammer, mainThreadCpuMicros, registerAgent, startBareExpressPeer, type Load } from './api-load.ts';
import { REPO_POLICIES, startBenchService, underSandboxTrust } from './bench-service.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/**
 * BENCH_ONLY=decisions: only the bare express and decision rounds (issue 18's targets), e.g. under
 * `node --cpu-prof`; the executed operations and the content-rule comparison are skipped.
 */
const DECISIONS_ONLY = process.env.BENCH_ONLY === 'decisions';
/** Issue 18: the same query repeated, and every query distinct (each durably audited), vs bare express. */
const REPEATED_TARGET = 0.8;
const DISTINCT_TARGET = 0.6;
const log = (msg: string) => process.stderr.write(`[operations-api.bench] ${msg}\n`);
const repoPolicies = REPO_POLICIES;

async function armReads(service: RunningService, purpose: string): Promise<number> {
  const metric = await service.context.metrics.armRequests.get();
  return metric.values.filter((v) => v.labels.purpose === purpose).reduce((n, v) => n + v.value, 0);
}

/**
 * A round's ratio counts only answered requests, and only when neither side refused or failed
 * any: a 429 from the rate limit or a 401 is answered faster than a decision, so a round with
 * refusals would flatter the ratio. Such a round is NaN, reported as not measured.
 */
function answeredRatio(r: Result, peer: Result): number {
  if (r.non2xx + r.errors > 0 || peer.non2xx + peer.errors > 0) return Number.NaN;
  return r['2xx'] / Math.max(1, peer['2xx']);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => (Number.isNaN(a) ? 1 : Number.isNaN(b) ? -1 : a - b));
  return sorted[Math.floor(sorted.length / 2)]!;
}

function targetLine(what: string, target: number, ratios: number[], runs: Result[], peers: Result[]): string {
  const rounds = ratios.map((r, i) =>
    Number.isNaN(r) ? `not measured (${runs[i]!.non2xx + runs[i]!.errors + peers[i]!.non2xx + peers[i]!.errors} non-2xx or errors)` : `${r.toFixed(2)}× ${r >= target ? 'met' : 'not met'}`,
  );
  const m = median(ratios);
  const verdict = ratios.some(Number.isNaN) ? 'NOT measured (a round had refusals)' : m >= target ? 'met' : 'NOT met';
  return `- Target (issue 18), ${what}: at least ${target.toFixed(1)}× bare express. Median of rounds **${Number.isNaN(m) ? 'n/a' : `${m.toFixed(2)}×`}** (rounds: ${rounds.join(', ')}): ${verdict}.`;
}

function row(name: string, r: Result, peer?: Result): string {
  const answered = peer ? answeredRatio(r, peer) : 1;
  const ratio = Number.isNaN(answered) ? 'n/a (refusals)' : `${answered.toFixed(2)}×`;
  const ok = r['2xx'];
  return `| ${name} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${ok} | ${r.non2xx + r.errors} | ${ratio} |`;
}

/** The shipped policies with the content and `require` rules of guardrails.yaml removed: the guardrails as they were before content rules. */
function policiesWithoutContentRules(): string {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-bench-policies-'));
  cpSync(repoPolicies, dir, { recursive: true });
  const doc = parseYaml(readFileSync(join(dir, 'guardrails.yaml'), 'utf8')) as { rules: Array<Record<string, unknown>> };
  doc.rules = doc.rules.filter((r) => r.when === undefined && r.require === undefined);
  writeFileSync(join(dir, 'guardrails.yaml'), stringifyYaml(doc));
  return dir;
}

/** A second Elevate (its own sandbox and database) on other policies, its agent registered, with a token for it. */
async function startPeerService(policiesDir: string, portOffset: number): Promise<{ service: RunningService; token: string }> {
  const service = await startBenchService({ dataDir: join(tmpdir(), 'elevate-bench-operations-sandbox'), dbPrefix: 'elevate-bench-ops-', policiesDir, portOffset });
  await registerAgent(service);
  const tenant = service.context.sandbox!.tenant;
  return { service, token: await agentTokenFrom(service.context.sandbox!.imdsEndpoint, tenant.agent.uamiClientId, `${tenant.elevateApp.apiAudience}/.default`) };
}

/**
 * The decision pipeline alone (no HTTP, no audit), with and without content rules, in alternating
 * blocks so background load hits both alike: the CPU the content rules add to one decision. The
 * permission answer is a constant (the cache's hit path is measured above).
 */
async function pipelineComparison(policiesDir: string, withoutDir: string, appId: string): Promise<{ get: number[]; patch: number[]; us: Record<string, number> }> {
  const catalog = loadBuiltinCatalog();
  const lookup = { hasRole: (name: string) => catalog.byName(name) !== undefined };
  const granted: Decision = { allowed: true, reason: 'granted', message: 'granted', grantedBy: [], deniedBy: [], conditionalGrants: [], wouldBeGrantedBy: [] };
  const withDeps = createDecisionDeps(loadPolicies(policiesDir, lookup), { check: async () => granted });
  const withoutDeps = createDecisionDeps(loadPolicies(withoutDir, lookup), { check: async () => granted });
  const rg = appId.split('/').slice(0, 5).join('/');
  const agent: Agent = { id: 'bench', name: 'bench', uamiClientId: 'c', uamiPrincipalId: 'p', tenantId: 't', level: 'Reader', runModeCeiling: 'Autonomous', resourceGroupIds: [rg], createdAt: '', updatedAt: '' };
  const input = (method: 'GET' | 'PATCH'): OperationInput => ({ method, path: appId, apiVersion: '2024-03-01', trigger: { kind: 'chat' }, idempotencyKey: 'k', ...(method === 'PATCH' ? { justification: 'bench', body: { tags: { owner: 'sre' } } } : {}) });
  const block = async (deps: typeof withDeps, op: OperationInput, n: number) => {
    const t = performance.now();
    for (let i = 0; i < n; i++) await decideOperation(op, agent, deps);
    return ((performance.now() - t) * 1000) / n;
  };
  const out = { get: [] as number[], patch: [] as number[], us: {} as Record<string, number> };
  const samples: Record<string, number[]> = { getWith: [], getWithout: [], patchWith: [], patchWithout: [] };
  for (const deps of [withDeps, withoutDeps]) for (const m of ['GET', 'PATCH'] as const) await block(deps, input(m), 3000);
  for (let round = 0; round < 10; round++) {
    for (const m of ['GET', 'PATCH'] as const) {
      const key = m === 'GET' ? 'get' : 'patch';
      const a = await block(withDeps, input(m), 5000);
      const b = await block(withoutDeps, input(m), 5000);
      samples[`${key}With`]!.push(a);
      samples[`${key}Without`]!.push(b);
      out[key].push(b / a);
    }
  }
  for (const [k, v] of Object.entries(samples)) out.us[k] = median(v);
  return out;
}

async function main(): Promise<void> {
  const dataDir = join(tmpdir(), 'elevate-bench-operations-sandbox');
  if (!(await underSandboxTrust(dataDir, log))) return;
  log('starting Elevate and its sandbox');
  const service = await startBenchService({ dataDir, dbPrefix: 'elevate-bench-ops-' });
  const peerServer = await startBareExpressPeer();
  try {
    const tenant = service.context.sandbox!.tenant;
    await registerAgent(service);

    const token = (await new ManagedIdentityCredential({ clientId: tenant.agent.uamiClientId }).getToken(`${tenant.elevateApp.apiAudience}/.default`))!.token;
    const app = tenant.resourceGroups.find((g) => g.name === 'rg-sre-apps')!.resources.find((r) => r.type === 'Microsoft.App/containerApps')!;
    // A different (unknown, never called) container app each time: no two answers are alike, so each is audited on its own.
    const distinctSubmission = JSON.stringify({ method: 'GET', path: `${app.id.replace(/\/[^/]+$/, '')}/ca-bench-__KEY__`, apiVersion: '2024-03-01', trigger: { kind: 'chat', ref: 'bench' }, idempotencyKey: 'bench-distinct' });
    const submission = (key: string) => JSON.stringify({ method: 'GET', path: app.id, apiVersion: '2024-03-01', trigger: { kind: 'chat', ref: 'bench' }, idempotencyKey: key });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const apiUrl = service.listenUrl;

    // warm-up: token keys, permission cache, JIT
    for (const path of ['/api/v1/decisions', '/api/v1/operations']) {
      const res = await fetch(`${apiUrl}${path}`, { method: 'POST', headers, body: submission(`warm-${path.slice(8)}`) });
      if (res.status >= 300) throw new Error(`warm-up ${path} answered ${res.status}: ${await res.text()}`);
    }

    // Bare express and decisions alternate, round by round, so background load on a shared
    // machine hits both alike; the reported ratio is the median of the per-round ratios.
    const bareUrl = `http://127.0.0.1:${(peerServer.address() as AddressInfo).port}/echo`;
    const bares: Result[] = [];
    const decisionRuns: Result[] = [];
    const distinctRuns: Result[] = [];
    /** share of the time the server's event loop was busy: near 1 means CPU-bound, lower means waiting (audit commits) */
    const decisionElu: number[] = [];
    /**
     * This process's CPU time (all threads: SQLite's too) per answered request, per phase: on a
     * shared machine req/s moves with the neighbours' load, CPU per request much less so. The
     * peer runs in this process too, so its phase measures it.
     */
    const cpuPerRequest: Record<'bare' | 'repeated' | 'distinct', number[]> = { bare: [], repeated: [], distinct: [] };
    /** The main thread's part of it (Linux), the event loop that bounds req/s. */
    const mainCpuPerRequest: Record<'bare' | 'repeated' | 'distinct', number[]> = { bare: [], repeated: [], distinct: [] };
    const measured = async (kind: keyof typeof cpuPerRequest, load: Load): Promise<Result> => {
      const before = process.cpuUsage();
      const mainBefore = mainThreadCpuMicros();
      const result = await hammer(load, DURATION_S, CONNECTIONS);
      const used = process.cpuUsage(before);
      const mainAfter = mainThreadCpuMicros();
      const answered = Math.max(1, result['2xx'] + result.non2xx);
      cpuPerRequest[kind].push((used.user + used.system) / answered);
      if (mainBefore !== undefined && mainAfter !== undefined) mainCpuPerRequest[kind].push((mainAfter - mainBefore) / answered);
      return result;
    };
    const cacheBefore = await armReads(service, 'permission-cache');
    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round}/${ROUNDS}: bare express (${DURATION_S} s, ${CONNECTIONS} connections)`);
      bares.push(await measured('bare', { url: bareUrl, headers, body: submission('bench-bare') }));
      log(`round ${round}/${ROUNDS}: POST /api/v1/decisions`);
      const elu = performance.eventLoopUtilization();
      decisionRuns.push(await measured('repeated', { url: `${apiUrl}/api/v1/decisions`, headers, body: submission('bench-decision') }));
      decisionElu.push(performance.eventLoopUtilization(elu).utilization);
      log(`round ${round}/${ROUNDS}: POST /api/v1/decisions, every query distinct`);
      distinctRuns.push(await measured('distinct', { url: `${apiUrl}/api/v1/decisions`, headers, body: distinctSubmission, uniqueKey: true }));
    }
    const opsArmBefore = await armReads(service, 'operation');
    let operations: Result | undefined;
    if (!DECISIONS_ONLY) {
      log('POST /api/v1/operations (reads executed against the sandbox)');
      operations = await hammer({ url: `${apiUrl}/api/v1/operations`, headers, body: submission('__KEY__'), uniqueKey: true }, DURATION_S, CONNECTIONS);
    }
    const cacheReads = (await armReads(service, 'permission-cache')) - cacheBefore;
    const operationCalls = (await armReads(service, 'operation')) - opsArmBefore;
    const decided = [...decisionRuns, ...distinctRuns].reduce((n, r) => n + r['2xx'], 0) + (operations?.['2xx'] ?? 0);
    const distinctRatios = distinctRuns.map((d, i) => answeredRatio(d, bares[i]!));

    const contentLines: string[] = DECISIONS_ONLY ? [] : await (async () => {
      // Content rules (issue 14): the same decisions on a second Elevate whose guardrails.yaml has
      // no content or `require` rules (today's guardrails before them), alternating round by round.
      // A GET skips CEL entirely (no content rule names a read action); a tags-only PATCH of the
      // container app is a write every-write identity rule names, so its CEL conditions run (and pass).
      // Both measured on fresh Elevates (own sandbox and database each) started side by side, so
      // neither carries the first one's audit log and request rows; the order alternates per round.
      log('starting two more Elevates: with and without content rules');
      const withRules = await startPeerService(repoPolicies, 60);
      const withoutDir = policiesWithoutContentRules();
      const withoutRules = await startPeerService(withoutDir, 120);
      const patchTags = (key: string) => JSON.stringify({ method: 'PATCH', path: app.id, apiVersion: '2024-03-01', body: { tags: { owner: 'sre' } }, justification: 'bench', trigger: { kind: 'chat', ref: 'bench' }, idempotencyKey: key });
      const target = (peer: { service: RunningService; token: string }) => ({ url: `${peer.service.listenUrl}/api/v1/decisions`, headers: { 'content-type': 'application/json', authorization: `Bearer ${peer.token}` } });
      const cmp: Record<'getWith' | 'getWithout' | 'patchWith' | 'patchWithout', Result[]> = { getWith: [], getWithout: [], patchWith: [], patchWithout: [] };
      try {
        for (const peer of [withRules, withoutRules]) {
          for (const body of [submission('warm-cmp'), patchTags('warm-cmp')]) {
            const res = await fetch(target(peer).url, { method: 'POST', headers: target(peer).headers, body });
            if (res.status !== 200) throw new Error(`warm-up decision answered ${res.status}: ${await res.text()}`);
          }
        }
        for (let round = 1; round <= ROUNDS; round++) {
          log(`round ${round}/${ROUNDS}: decisions with and without content rules (GET, then a tags PATCH)`);
          const order = round % 2 === 1 ? (['With', 'Without'] as const) : (['Without', 'With'] as const);
          for (const kind of ['get', 'patch'] as const) {
            for (const which of order) {
              const peer = which === 'With' ? withRules : withoutRules;
              cmp[`${kind}${which}`].push(await hammer({ ...target(peer), body: kind === 'get' ? submission('bench-decision') : patchTags('bench-patch') }, DURATION_S, CONNECTIONS));
            }
          }
        }
      } finally {
        await withRules.service.close();
        await withoutRules.service.close();
      }
      log('decision pipeline alone, with and without content rules (10 alternating blocks)');
      const pipeline = await pipelineComparison(repoPolicies, withoutDir, app.id);
      rmSync(withoutDir, { recursive: true, force: true });
      const failures = Object.values(cmp).flat().reduce((n, r) => n + r.non2xx + r.errors, 0);
      const getRatios = cmp.getWith.map((r, i) => r.requests.average / cmp.getWithout[i]!.requests.average);
      const patchRatios = cmp.patchWith.map((r, i) => r.requests.average / cmp.patchWithout[i]!.requests.average);
      return [
        '',
        '#### Decisions with and without content rules (issue 14)',
        '',
        `Two fresh Elevates side by side in this process (own sandbox and database each), one with the shipped guardrails.yaml and one whose guardrails.yaml has its content and \`require\` rules removed; ${ROUNDS} rounds, the order alternating. Decision-only, the same query repeated, by the Reader-level agent (the PATCH is pending_elevation either way).`,
        '',
        '| workload | with content rules req/s | without req/s | ratio (median of rounds) | rounds |',
        '|---|---:|---:|---:|---|',
        `| GET of a container app (no content rule names a read: CEL skipped) | ${median(cmp.getWith.map((r) => r.requests.average)).toFixed(0)} | ${median(cmp.getWithout.map((r) => r.requests.average)).toFixed(0)} | **${median(getRatios).toFixed(2)}×** | ${getRatios.map((r) => r.toFixed(2)).join(', ')} |`,
        `| tags-only PATCH of a container app (two every-write identity rules, ruled out by their guard before CEL) | ${median(cmp.patchWith.map((r) => r.requests.average)).toFixed(0)} | ${median(cmp.patchWithout.map((r) => r.requests.average)).toFixed(0)} | **${median(patchRatios).toFixed(2)}×** | ${patchRatios.map((r) => r.toFixed(2)).join(', ')} |`,
        '',
        `- Non-2xx answers and errors in these rounds: ${failures}.`,
        `- The decision pipeline alone (in process, no HTTP or audit; 10 alternating blocks of 5,000 decisions): GET ${pipeline.us.getWith!.toFixed(1)} µs with vs ${pipeline.us.getWithout!.toFixed(1)} µs without content rules (throughput ratio **${median(pipeline.get).toFixed(2)}×**); tags PATCH ${pipeline.us.patchWith!.toFixed(1)} µs vs ${pipeline.us.patchWithout!.toFixed(1)} µs (**${median(pipeline.patch).toFixed(2)}×**).`,
        `- Target: at least 0.9× of the figure without content rules: HTTP GET ${median(getRatios) >= 0.9 ? 'met' : 'NOT met'}, HTTP PATCH ${median(patchRatios) >= 0.9 ? 'met' : 'NOT met'}; pipeline GET ${median(pipeline.get) >= 0.9 ? 'met' : 'NOT met'}, pipeline PATCH ${median(pipeline.patch) >= 0.9 ? 'met' : 'NOT met'}.`,
      ];
    })();

    const ratios = decisionRuns.map((d, i) => answeredRatio(d, bares[i]!));
    const ratio = median(ratios);
    const medianRound = Math.max(0, ratios.indexOf(ratio));
    const bare = bares[medianRound]!;
    const decisions = decisionRuns[medianRound]!;
    const distinct = distinctRuns[medianRound]!;
    const perThousand = decided > 0 ? (cacheReads * 1000) / decided : NaN;
    const lines = [
      '### Agent operations API (HTTP, loopback)',
      '',
      `autocannon, ${CONNECTIONS} connections, ${DURATION_S} s per measurement, load generator in a child process; Elevate in-process in sandbox mode with its full middleware stack (token validation against the sandbox's JWKS with a validated-token cache, SQLite with synchronous=FULL; each distinct decision durably audited before it is answered). Requests: a GET of a container app (\`Microsoft.App/containerApps/read\`) by the seeded Reader-level agent. Bare express and decisions alternate over ${ROUNDS} rounds; the table shows the median round, per-round ratios below it.`,
      '',
      '| workload | req/s | p50 ms | p99 ms | 2xx | non-2xx + errors | vs bare express |',
      '|---|---:|---:|---:|---:|---:|---:|',
      row('bare express JSON handler (peer)', bare),
      row('POST /api/v1/decisions (decision only, the same query repeated)', decisions, bare),
      row('POST /api/v1/decisions (decision only, every query distinct)', distinct, bare),
      ...(operations ? [row('POST /api/v1/operations (decided + executed on sandbox ARM)', operations, bare)] : []),
      '',
      targetLine('the same query repeated (as a polling agent asks)', REPEATED_TARGET, ratios, decisionRuns, bares),
      targetLine('every query distinct, each durably appended to the audit log before it is answered', DISTINCT_TARGET, distinctRatios, distinctRuns, bares),
      `- Identical repeats (same agent, action, scope, run mode and outcome) are counted within a minute, from the second asking, and recorded as one \`operation.decided.repeated\` entry; the first two are appended whole, and no repeat is answered before they are durable.`,
      `- Server CPU per answered request (this process, all threads; median of rounds): bare express ${median(cpuPerRequest.bare).toFixed(0)} µs, decisions repeated ${median(cpuPerRequest.repeated).toFixed(0)} µs (${(median(cpuPerRequest.repeated) / median(cpuPerRequest.bare)).toFixed(2)}× the peer's), distinct ${median(cpuPerRequest.distinct).toFixed(0)} µs (${(median(cpuPerRequest.distinct) / median(cpuPerRequest.bare)).toFixed(2)}×).`,
      ...(mainCpuPerRequest.bare.length > 0
        ? [
            `- Of it, the main thread (the event loop, which bounds req/s; median of rounds): bare express ${median(mainCpuPerRequest.bare).toFixed(0)} µs, repeated ${median(mainCpuPerRequest.repeated).toFixed(0)} µs (${(median(mainCpuPerRequest.repeated) / median(mainCpuPerRequest.bare)).toFixed(2)}×), distinct ${median(mainCpuPerRequest.distinct).toFixed(0)} µs (${(median(mainCpuPerRequest.distinct) / median(mainCpuPerRequest.bare)).toFixed(2)}×).`,
          ]
        : []),
      `- Server event-loop utilisation during the repeated-query rounds: ${decisionElu.map((u) => `${(u * 100).toFixed(0)}%`).join(', ')} (below 100%: requests wait on a durable audit commit).`,
      `- Permission-cache ARM reads during the measured phases (steady state): **${cacheReads}** over ${decided} decisions = **${perThousand.toFixed(3)} per 1,000 decisions** (target: at most 1): ${perThousand <= 1 ? 'met' : 'NOT met'}.`,
      ...(operations ? [`- ARM calls for the operations themselves: ${operationCalls} for ${operations['2xx']} executed reads (one each); each executed read also writes its request row and five audit entries.`] : []),
      `- Machine load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (${cpus().length} cores, shared).`,
    ];
    process.stdout.write(`${[...lines, ...contentLines].join('\n')}\n`);
  } finally {
    // let executions still in flight when the load stopped finish before the store closes
    await new Promise((r) => setTimeout(r, 1000));
    await new Promise((r) => peerServer.close(r));
    await service.close();
  }
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
