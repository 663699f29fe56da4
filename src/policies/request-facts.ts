/**
 * The facts a content rule's CEL condition sees, built from one validated request. Pure.
 *
 * Property names: ARM's resource providers read JSON property names case-insensitively
 * (.NET's OrdinalIgnoreCase, which also equates 'ı' with 'I' and 'ſ' with 'S'), so
 * `"AccessPolicies"` sets what `"accessPolicies"` sets. Every body property name is folded
 * (upper-cased, then lower-cased: 'ſ' -> 'S' -> 's', 'ı' -> 'I' -> 'i', the Kelvin sign -> 'k')
 * and rules are written in lower case. Two names in one object that fold to the same one are
 * ambiguous (which one would the provider take?): the body is then not readable, and every rule
 * that reads it holds the request for an administrator.
 * https://learn.microsoft.com/en-us/dotnet/api/system.stringcomparison#fields (OrdinalIgnoreCase)
 */
import type { ConditionFacts } from './content-condition.ts';
import { foldName } from './fold-name.ts';
import { mergeFolded } from './json-merge-patch.ts';

/**
 * The resource a PATCH applies to, as read just before the decision (only when a rule reads
 * `merged`). Anything but ARM's 200 is not known, a 404 included: the resource may exist by the
 * time the PATCH runs, so "absent" is no safer a guess than any other.
 */
export type CurrentResource = { known: true; value: unknown } | { known: false; why: string };

export interface RequestFactsInput {
  method: string;
  path: string;
  apiVersion: string;
  body?: unknown;
  /** the derived RBAC action */
  action: string;
  /** e.g. Microsoft.KeyVault/vaults */
  resourceType?: string | undefined;
  agent: { id: string; resourceGroupIds: readonly string[] };
  /** for a PATCH: the resource as it is, so `merged` can say what the PATCH leaves */
  current?: CurrentResource | undefined;
}

export interface RequestFacts {
  facts: ConditionFacts;
  /** why the body cannot be read by a rule, when it cannot */
  bodyProblem?: string | undefined;
  /** why `merged` is not known (a PATCH whose resource could not be read), when it is not */
  mergedProblem?: string | undefined;
}

export { foldName };

class AmbiguousBody extends Error {}

const MAX_FOLD_DEPTH = 64;

/**
 * The body with folded names, as Maps (no prototype keys). Recursive: the API caps bodies at 32
 * levels before any rule sees them, and this refuses beyond 64 on its own.
 */
function fold(v: unknown, depth: number): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (depth > MAX_FOLD_DEPTH) throw new AmbiguousBody('the body is nested too deeply to read');
  if (Array.isArray(v)) return v.map((item) => fold(item, depth + 1));
  const out = new Map<string, unknown>();
  for (const key of Object.keys(v)) {
    const name = foldName(key);
    // The name is the agent's text: it is not repeated in the decision.
    if (out.has(name)) throw new AmbiguousBody('the body names one property twice in different letter case; ARM would read one of them, which one is not known');
    out.set(name, fold((v as Record<string, unknown>)[key], depth + 1));
  }
  return out;
}

type Folded = { ok: true; value: unknown } | { ok: false; problem: string };

function foldBody(value: unknown): Folded {
  try {
    return { ok: true, value: fold(value, 0) };
  } catch (err) {
    if (err instanceof AmbiguousBody) return { ok: false, problem: err.message };
    throw err;
  }
}

/** Path parameters: every type segment (lower-cased) after `providers/{namespace}` or at the root, with its name. */
function pathParams(path: string): Map<string, string> {
  const segs = path.split('/').filter((s) => s !== '');
  const params = new Map<string, string>();
  for (let i = 0; i + 1 < segs.length; ) {
    const seg = segs[i]!;
    if (seg.toLowerCase() === 'providers') {
      params.set('namespace', segs[i + 1]!);
      i += 2;
      continue;
    }
    params.set(seg.toLowerCase(), segs[i + 1]!);
    i += 2;
  }
  return params;
}

export function requestFacts(input: RequestFactsInput): RequestFacts {
  const params = pathParams(input.path);
  const segs = input.path.split('/').filter((s) => s !== '');
  const resource = new Map<string, string>([
    ['id', input.path.toLowerCase()],
    ['type', (input.resourceType ?? '').toLowerCase()],
    ['name', segs.length % 2 === 0 ? (segs[segs.length - 1] ?? '') : (segs[segs.length - 2] ?? '')],
    ['subscriptionId', (params.get('subscriptions') ?? '').toLowerCase()],
    ['resourceGroup', (params.get('resourcegroups') ?? '').toLowerCase()],
  ]);
  const agent = new Map<string, unknown>([
    ['id', input.agent.id],
    ['resourceGroups', input.agent.resourceGroupIds.map((id) => id.toLowerCase())],
  ]);
  const facts: ConditionFacts = {
    method: input.method.toUpperCase(),
    action: input.action.toLowerCase(),
    apiVersion: input.apiVersion,
    resource,
    params,
    agent,
    hasBody: input.body !== undefined,
    body: new Map(),
    merged: new Map(),
  };
  if (input.body !== undefined) {
    if (typeof input.body !== 'object' || input.body === null || Array.isArray(input.body)) {
      return { facts, bodyProblem: 'the body is not a JSON object, so what it changes cannot be read' };
    }
    const folded = foldBody(input.body);
    if (!folded.ok) return { facts, bodyProblem: folded.problem };
    facts.body = folded.value as Map<string, unknown>;
  }
  if (facts.method !== 'PATCH') {
    // A PUT replaces the resource with its body; other methods leave no document to merge.
    facts.merged = facts.body;
    return { facts };
  }
  const merged = mergedAfterPatch(facts.body, input.current);
  if (!merged.ok) return { facts, mergedProblem: merged.problem };
  facts.merged = merged.value;
  return { facts };
}

function mergedAfterPatch(body: Map<string, unknown>, current: CurrentResource | undefined): { ok: true; value: Map<string, unknown> } | { ok: false; problem: string } {
  const unknown = (why: string) => ({ ok: false as const, problem: `${why}, so what this PATCH leaves behind is not known` });
  if (current === undefined) return unknown('the resource as it is was not read');
  if (!current.known) return unknown(`the resource as it is could not be read (${current.why})`);
  if (typeof current.value !== 'object' || current.value === null || Array.isArray(current.value)) return unknown('ARM returned a resource that is not a JSON object');
  const folded = foldBody(current.value);
  if (!folded.ok) return unknown(`the resource as it is cannot be read: ${folded.problem.replace(/^the body/, 'it')}`);
  return { ok: true, value: mergeFolded(folded.value, body) as Map<string, unknown> };
}
