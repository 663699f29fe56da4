/**
 * A cheap pre-check that rules a content condition out before any request facts are built or
 * CEL runs: the "decisions stay fast" half of content rules (issue 14).
 *
 * From a condition's top-level `&&` chain it keeps the conjuncts that can be decided from the raw
 * request alone:
 *   has(body.k)      -- a top-level body property (one level only; CEL's has() takes a field selection)
 *   method == "X"  /  "X" == method
 * If any of them is false, the whole condition is false. That is sound in CEL even when other
 * conjuncts would error: CEL's `&&` is commutative and absorbs errors, `false && error` is
 * `false` (https://github.com/google/cel-spec/blob/master/doc/langdef.md#logical-operators).
 * So skipping is exactly what evaluation would have said, never a weaker answer.
 *
 * Only a body that is absent or a plain JSON object is pre-checked. Anything else (a list, a
 * string) goes the full way, where a rule that reads the body holds it for an administrator.
 * `has(body.k.j)` does not qualify: selecting `j` from a missing `k` is an error in CEL, which
 * the full path turns into a hold.
 */
import { foldName } from './request-facts.ts';

export interface ConditionGuard {
  /** the method the condition requires (as written; compared with the upper-cased request method) */
  method?: string;
  /** lower-case top-level body properties the condition requires to be present */
  bodyKeys: string[];
}

interface AstNode {
  op: string;
  args: unknown;
}

const isNode = (v: unknown): v is AstNode => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as AstNode).op === 'string';

function conjuncts(node: AstNode, out: AstNode[]): AstNode[] {
  if (node.op === '&&' && Array.isArray(node.args)) {
    for (const arg of node.args) if (isNode(arg)) conjuncts(arg, out);
  } else out.push(node);
  return out;
}

const isId = (v: unknown, name: string): boolean => isNode(v) && v.op === 'id' && v.args === name;
const stringValue = (v: unknown): string | undefined => (isNode(v) && v.op === 'value' && typeof v.args === 'string' ? v.args : undefined);

/** `has(body.k)` -> k */
function topLevelHas(node: AstNode): string | undefined {
  if (node.op !== 'call' || !Array.isArray(node.args) || node.args[0] !== 'has') return undefined;
  const params = node.args[1];
  if (!Array.isArray(params) || params.length !== 1 || !isNode(params[0])) return undefined;
  const select = params[0];
  if (!Array.isArray(select.args) || !isId(select.args[0], 'body')) return undefined;
  return select.op === '.' && typeof select.args[1] === 'string' ? select.args[1] : undefined;
}

/** `method == "X"` or `"X" == method` -> X */
function methodEquals(node: AstNode): string | undefined {
  if (node.op !== '==' || !Array.isArray(node.args) || node.args.length !== 2) return undefined;
  const [a, b] = node.args;
  if (isId(a, 'method')) return stringValue(b);
  if (isId(b, 'method')) return stringValue(a);
  return undefined;
}

/** The guard of a parsed condition; undefined when no conjunct qualifies. */
export function conditionGuard(ast: unknown): ConditionGuard | undefined {
  if (!isNode(ast)) return undefined;
  const guard: ConditionGuard = { bodyKeys: [] };
  for (const node of conjuncts(ast, [])) {
    const key = topLevelHas(node);
    if (key !== undefined) {
      if (!guard.bodyKeys.includes(key)) guard.bodyKeys.push(key);
      continue;
    }
    const method = methodEquals(node);
    // Two different methods in one chain can never both hold; keep the first, the full
    // evaluation of a request with that method still sees the other.
    if (method !== undefined) guard.method ??= method;
  }
  return guard.method === undefined && guard.bodyKeys.length === 0 ? undefined : guard;
}

/** The folded top-level property names of a plain-object body, computed once per request. */
export type TopLevelKeys = ReadonlySet<string> | 'absent' | 'not-an-object';

export function topLevelKeys(body: unknown): TopLevelKeys {
  if (body === undefined) return 'absent';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'not-an-object';
  return new Set(Object.keys(body).map(foldName));
}

/** True when the guard proves the condition false for this request. */
export function guardRulesOut(guard: ConditionGuard, method: string, keys: TopLevelKeys): boolean {
  if (guard.method !== undefined && method.toUpperCase() !== guard.method) return true;
  if (guard.bodyKeys.length === 0 || keys === 'not-an-object') return false;
  if (keys === 'absent') return true;
  return guard.bodyKeys.some((k) => !keys.has(k));
}
