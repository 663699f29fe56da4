/**
 * A cheap pre-check that rules a content condition out before any request facts are built or
 * CEL runs: the "decisions stay fast" half of content rules (issue 14).
 *
 * From a condition's top-level `&&` chain it keeps the conjuncts that can be decided from the raw
 * request alone:
 *   has(body.k), has(body.k.j), ...   -- a body property, when every shorter path to it is also
 *                                        a `has` conjunct of the chain
 *   method == "X"  /  "X" == method
 * If any of them is false, the whole condition is false. That is sound in CEL even when other
 * conjuncts would error: CEL's `&&` is commutative and absorbs errors, `false && error` is
 * `false` (https://github.com/google/cel-spec/blob/master/doc/langdef.md#logical-operators).
 * So skipping is exactly what evaluation would have said, never a weaker answer.
 *
 * Why every prefix must be guarded too: `has(body.k.j)` with `k` missing is an error in CEL, not
 * false, and the full path turns an error into a hold. With `has(body.k)` in the same chain, a
 * missing `k` makes that conjunct false, which settles the chain.
 *
 * A path is only ruled out by a plain JSON object that lacks the (case-folded) name. Anything else
 * on the way (a list, a string, a name spelt twice in different case) goes the full way, where a
 * rule that reads the body holds it for an administrator.
 */
import { foldName } from './fold-name.ts';

export interface ConditionGuard {
  /** the method the condition requires (as written; compared with the upper-cased request method) */
  method?: string;
  /** lower-case body property paths the condition requires to be present */
  bodyPaths: string[][];
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

/** `has(body.k.j)` -> [k, j] */
function hasPath(node: AstNode): string[] | undefined {
  if (node.op !== 'call' || !Array.isArray(node.args) || node.args[0] !== 'has') return undefined;
  const params = node.args[1];
  if (!Array.isArray(params) || params.length !== 1 || !isNode(params[0])) return undefined;
  const path: string[] = [];
  let current: AstNode = params[0];
  while (current.op === '.' && Array.isArray(current.args) && typeof current.args[1] === 'string' && isNode(current.args[0])) {
    path.unshift(current.args[1]);
    current = current.args[0];
  }
  return isId(current, 'body') && path.length > 0 ? path : undefined;
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
  let method: string | undefined;
  const paths: string[][] = [];
  for (const node of conjuncts(ast, [])) {
    const path = hasPath(node);
    if (path !== undefined) {
      paths.push(path);
      continue;
    }
    // Two different methods in one chain can never both hold; keep the first, the full
    // evaluation of a request with that method still sees the other.
    method ??= methodEquals(node);
  }
  const key = (p: readonly string[]) => p.join('\u0000');
  const present = new Set(paths.map(key));
  const bodyPaths = paths.filter((p, i) => paths.findIndex((q) => key(q) === key(p)) === i && p.every((_, n) => n === 0 || present.has(key(p.slice(0, n)))));
  if (method === undefined && bodyPaths.length === 0) return undefined;
  return method === undefined ? { bodyPaths } : { method, bodyPaths };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The request's body as the guard reads it: which (folded) names a JSON object has, worked out
 * once per object per request.
 */
export class BodyShape {
  private readonly names = new Map<object, Map<string, string[]>>();
  constructor(readonly body: unknown) {}

  private foldedNames(obj: Record<string, unknown>): Map<string, string[]> {
    let names = this.names.get(obj);
    if (!names) {
      names = new Map();
      for (const raw of Object.keys(obj)) {
        const name = foldName(raw);
        const spellings = names.get(name);
        if (spellings) spellings.push(raw);
        else names.set(name, [raw]);
      }
      this.names.set(obj, names);
    }
    return names;
  }

  /** True only when a plain object on the way lacks the next name: `has(body.<path>)` is then false. */
  lacks(path: readonly string[]): boolean {
    if (this.body === undefined) return true;
    let node: unknown = this.body;
    for (const name of path) {
      if (!isPlainObject(node)) return false;
      const spellings = this.foldedNames(node).get(name);
      if (spellings === undefined) return true;
      if (spellings.length > 1) return false;
      node = node[spellings[0]!];
    }
    return false;
  }
}

/** True when the guard proves the condition false for this request. */
export function guardRulesOut(guard: ConditionGuard, method: string, body: BodyShape): boolean {
  if (guard.method !== undefined && method.toUpperCase() !== guard.method) return true;
  return guard.bodyPaths.some((path) => body.lacks(path));
}
