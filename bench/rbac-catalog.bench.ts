/**
 * The shipped RBAC data: what loading the full built-in role catalog (928 roles) and the
 * provider operations index costs, compared with loading the raw JSON they are generated from;
 * what `elevate rbac action` costs in CPU (optionally against an older checkout); and the
 * decision hot path when every check ends in suggestions drawn from the full catalog.
 *
 *   node --import tsx bench/rbac-catalog.bench.ts [--baseline <checkout of an older commit>]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRoleDefinitionList } from '../src/rbac/arm-list-shapes.ts';
import { PROVIDER_OPERATIONS_FILE } from '../src/rbac/provider-operations.ts';
import { createEvaluator } from '../src/rbac/rbac-evaluator.ts';
import { BUILTIN_CATALOG_FILE, loadBuiltinCatalog, loadBuiltinCatalogFile } from '../src/rbac/role-catalog.ts';
import { decodeCompressedJson } from '../src/rbac/compressed-json.ts';
import { createProviderOperationIndex, type ProviderOperationsFile } from '../src/rbac/provider-operations.ts';

const log = (s: string) => process.stderr.write(`[catalog-bench] ${s}\n`);
const loadAtStart = loadavg().map((x) => x.toFixed(1)).join(' / ');
const repo = fileURLToPath(new URL('..', import.meta.url));
const sharedDir = fileURLToPath(new URL('../../shared/azure-rbac/', import.meta.url));
const baselineAt = process.argv.indexOf('--baseline');
const baseline = baselineAt > 0 ? process.argv[baselineAt + 1] : undefined;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const ms = (f: () => void) => {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e6;
};
/** Median of `rounds` timings, alternating the two contenders so load hits both alike. */
function compare(rounds: number, a: () => void, b: () => void): [number, number] {
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    ta.push(ms(a));
    tb.push(ms(b));
  }
  return [median(ta), median(tb)];
}

// ---------- sizes ----------
const rawRolesPath = join(sharedDir, 'builtin-roles.all.json');
const rawOpsPath = join(sharedDir, 'provider-operations.flat.json');
const size = (p: string | URL) => statSync(p).size;
const sizes = { rawRoles: size(rawRolesPath), roles: size(BUILTIN_CATALOG_FILE), rawOps: size(rawOpsPath), ops: size(PROVIDER_OPERATIONS_FILE) };

// ---------- load: shipped compact file vs the raw JSON ----------
log('loading the role catalog: compact vs raw JSON');
const ROUNDS = 15;
const [rolesCompact, rolesRaw] = compare(
  ROUNDS,
  () => loadBuiltinCatalogFile(BUILTIN_CATALOG_FILE),
  () => parseRoleDefinitionList(JSON.parse(readFileSync(rawRolesPath, 'utf8')), 'raw'),
);
const [rolesCompactParseOnly, rolesRawParseOnly] = compare(
  ROUNDS,
  () => decodeCompressedJson(readFileSync(BUILTIN_CATALOG_FILE), 'x'),
  () => JSON.parse(readFileSync(rawRolesPath, 'utf8')),
);
log('loading the provider operations: compact index vs raw JSON + Set');
const [opsCompact, opsRaw] = compare(
  ROUNDS,
  () => createProviderOperationIndex(decodeCompressedJson(readFileSync(PROVIDER_OPERATIONS_FILE), 'x') as ProviderOperationsFile),
  () => {
    const rows = JSON.parse(readFileSync(rawOpsPath, 'utf8')) as Array<{ name: string }>;
    new Set(rows.map((r) => r.name.toLowerCase()));
  },
);

// ---------- `elevate rbac action`: process CPU ----------
const PATH = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Cache/redis/cache1/forceReboot';
function cliCpu(root: string, runs: number): { cpu: number; wall: number } {
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S %e', process.execPath, join(root, 'bin/elevate.js'), 'rbac', 'action', 'POST', PATH], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`rbac action failed in ${root}: ${r.stderr}`);
    const [u, s, e] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    cpu.push((u! + s!) * 1000);
    wall.push(e! * 1000);
  }
  return { cpu: median(cpu), wall: median(wall) };
}
log('elevate rbac action: process CPU');
const CLI_RUNS = 7;
const cliNow: Array<{ cpu: number; wall: number }> = [];
const cliBefore: Array<{ cpu: number; wall: number }> = [];
for (let i = 0; i < 2; i++) {
  cliNow.push(cliCpu(repo, Math.ceil(CLI_RUNS / 2)));
  if (baseline) cliBefore.push(cliCpu(baseline, Math.ceil(CLI_RUNS / 2)));
}
const cliAfter = { cpu: median(cliNow.map((x) => x.cpu)), wall: median(cliNow.map((x) => x.wall)) };
const cliOld = baseline ? { cpu: median(cliBefore.map((x) => x.cpu)), wall: median(cliBefore.map((x) => x.wall)) } : undefined;

// ---------- first use in a fresh process: what start-up and the first decision pay ----------
function freshProcessMs(code: string): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repo, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stdout.trim());
}
log('cold first loads in fresh processes');
const coldRoles = median(Array.from({ length: 5 }, () => freshProcessMs(`import { loadBuiltinCatalog } from './src/rbac/role-catalog.ts'; const t = performance.now(); loadBuiltinCatalog(); console.log(performance.now() - t);`)));
const coldRaw = median(Array.from({ length: 5 }, () => freshProcessMs(`import { loadCatalogFile } from './src/rbac/role-catalog.ts'; const t = performance.now(); loadCatalogFile(${JSON.stringify(rawRolesPath)}); console.log(performance.now() - t);`)));
const coldOps = median(Array.from({ length: 5 }, () => freshProcessMs(`import { loadProviderOperationIndex } from './src/rbac/provider-operations.ts'; const t = performance.now(); loadProviderOperationIndex(); console.log(performance.now() - t);`)));
const importOnly = median(Array.from({ length: 5 }, () => freshProcessMs(`const t = performance.now(); await import('./src/rbac/role-catalog.ts'); await import('./src/rbac/resolve-arm-operation.ts'); await import('./src/rbac/rbac-evaluator.ts'); console.log(performance.now() - t);`)));

// ---------- decision hot path with suggestions from the full catalog ----------
log('decision hot path: denials answered with suggestions from 928 roles');
const catalog = loadBuiltinCatalog();
const ops = JSON.parse(readFileSync(rawOpsPath, 'utf8')) as Array<{ name: string; isDataAction: boolean }>;
const control = ops.filter((o) => !o.isDataAction).map((o) => o.name);
const SUB = '/subscriptions/00000000-0000-0000-0000-000000000001';
const state = {
  roles: [...catalog.roles],
  assignments: [{ id: `${SUB}/providers/Microsoft.Authorization/roleAssignments/a1`, scope: `${SUB}/resourceGroups/other`, roleDefinitionId: catalog.byName('Reader')!.id, principalId: 'agent' }],
  denyAssignments: [],
  groups: {},
  hierarchy: {},
};
let indexBuild = 0;
const evaluator = createEvaluator(state, { catalog: catalog.roles });
// Agents ask about few distinct actions; draw 100,000 requests from 2,000 distinct real ones.
let seed = 7;
const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const distinct = Array.from({ length: 2000 }, () => control[Math.floor(rand() * control.length)]!);
const scope = `${SUB}/resourceGroups/rg1`;
indexBuild = ms(() => evaluator.check({ principalId: 'agent', action: 'Microsoft.Cache/redis/forceReboot/action', scope }));
const firstTime: number[] = [];
for (const a of distinct) firstTime.push(ms(() => evaluator.check({ principalId: 'agent', action: a, scope })) * 1000);
const N = 100_000;
const lat: number[] = [];
let withSuggestions = 0;
for (let i = 0; i < N; i++) {
  const a = distinct[Math.floor(rand() * distinct.length)]!;
  const t = process.hrtime.bigint();
  const d = evaluator.check({ principalId: 'agent', action: a, scope });
  lat.push(Number(process.hrtime.bigint() - t) / 1000);
  if (d.wouldBeGrantedBy.length > 0) withSuggestions++;
}
lat.sort((x, y) => x - y);
const p99 = lat[Math.floor(lat.length * 0.99)]!;
const redis = evaluator.check({ principalId: 'agent', action: 'Microsoft.Cache/redis/forceReboot/action', scope }).wouldBeGrantedBy.map((s) => s.roleName);

// ---------- report ----------
const kb = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
const f = (x: number) => x.toFixed(1);
const out = [
  '### Built-in role catalog and provider operations index (shipped, compact, lazy)',
  '',
  `\`bench/rbac-catalog.bench.ts\`. Load average at start: ${loadAtStart}. In-process timings are the median of ${ROUNDS} alternating rounds (compact, raw, compact, ...), so load from other processes hits both alike.`,
  '',
  '| data | raw JSON (../shared) | shipped (brotli JSON) | size ratio | load: raw | load: shipped | load ratio |',
  '|---|---:|---:|---:|---:|---:|---:|',
  `| 928 built-in roles (parse + validate) | ${kb(sizes.rawRoles)} | ${kb(sizes.roles)} | ${(sizes.rawRoles / sizes.roles).toFixed(1)}× smaller | ${f(rolesRaw)} ms | ${f(rolesCompact)} ms | ${(rolesRaw / rolesCompact).toFixed(1)}× faster |`,
  `| 928 built-in roles (bytes to objects only) | | | | ${f(rolesRawParseOnly)} ms | ${f(rolesCompactParseOnly)} ms | ${(rolesRawParseOnly / rolesCompactParseOnly).toFixed(2)}× |`,
  `| 24,680 provider operations (to a lookup) | ${kb(sizes.rawOps)} | ${kb(sizes.ops)} | ${(sizes.rawOps / sizes.ops).toFixed(1)}× smaller | ${f(opsRaw)} ms | ${f(opsCompact)} ms | ${(opsRaw / opsCompact).toFixed(1)}× faster |`,
  '',
  `- "raw" is what loading the source files would cost: JSON.parse plus the full \`az role definition list\` validation (zod, scopes parsed) for the roles, JSON.parse plus a Set of lower-cased names for the operations. "shipped" is brotli decompression, JSON.parse and the shipped file's light schema (roles are also deep-frozen); the operations index is two sorted arrays searched by bisection, so it builds nothing per name.`,
  `- Cold, first call in a fresh process (median of 5 processes): shipped catalog ${f(coldRoles)} ms vs raw corpus file ${f(coldRaw)} ms (${(coldRaw / coldRoles).toFixed(1)}×); operations index ${f(coldOps)} ms. Importing the rbac modules loads neither (import alone: ${f(importOnly)} ms): both are read on first need, so start-up pays the catalog only when it first needs a role (policy check) and never the operations index until the first decision.`,
  `- \`elevate rbac action POST …/redis/cache1/forceReboot\`, whole process (tsx included), median of ${cliNow.length * Math.ceil(CLI_RUNS / 2)} runs: CPU ${f(cliAfter.cpu)} ms, wall ${f(cliAfter.wall)} ms` +
    (cliOld ? `; the same command at the baseline checkout (${baseline}, before this change: no operations index): CPU ${f(cliOld.cpu)} ms, wall ${f(cliOld.wall)} ms (after/before CPU ${(cliAfter.cpu / cliOld.cpu).toFixed(2)}×). It never loads the role catalog.` : '. It never loads the role catalog.'),
  '',
  '| decision hot path, suggestions from the full catalog | value |',
  '|---|---:|',
  `| suggestion index, built lazily on the first denial | ${f(indexBuild)} ms |`,
  `| first check of each of 2,000 distinct real actions (candidate list computed) | median ${median(firstTime).toFixed(1)} µs |`,
  `| ${N.toLocaleString('en')} checks over those actions (candidate lists cached per action) | median ${lat[Math.floor(lat.length / 2)]!.toFixed(2)} µs, p99 ${p99.toFixed(2)} µs |`,
  `| checks answered with at least one suggestion | ${((withSuggestions / N) * 100).toFixed(1)}% |`,
  '',
  `Every check here is a denial (the principal holds Reader elsewhere), so each one lists the least-privilege roles from all 928: e.g. \`Microsoft.Cache/redis/forceReboot/action\` → ${redis.join(', ')}. Target median < 5 µs: ${lat[Math.floor(lat.length / 2)]! < 5 ? 'met' : 'NOT met'}. Load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' / ')}.`,
];
process.stdout.write(`${out.join('\n')}\n`);
