/**
 * Guardrail conditions in CEL (the Common Expression Language that Kubernetes admission policies,
 * Google's JIT access and Azure's own features use), compiled and type-checked once when the
 * policies load. Evaluation is pure: a condition sees only the request facts it is given.
 *
 * Declared variables (see README "Writing content rules"):
 *   method      string  PUT, PATCH, POST, DELETE or GET
 *   action      string  the RBAC action the request was derived to, lower-cased
 *   apiVersion  string
 *   resource    map     id, type (lower-cased), name, subscriptionId, resourceGroup (lower-cased)
 *   params      map<string, string>  path parameters: each type segment (lower-cased) -> its name
 *   agent       map     id, resourceGroups (list of lower-cased resource group ids)
 *   hasBody     bool
 *   body        map     the JSON body, every property name lower-cased (ARM reads names
 *                       case-insensitively); for PATCH the patch document itself
 *   merged      map     what the resource looks like after the request: for PUT the body; for
 *                       PATCH the body merged (RFC 7396) onto the resource as read just before
 *                       the decision; names lower-cased as in `body`
 */
import { Environment } from '@marcbachmann/cel-js';
import { conditionGuard, type ConditionGuard } from './condition-guard.ts';

/** Parse-time limits: a rule is a short predicate. Bodies are capped upstream (64 KiB, depth 32). */
const LIMITS = { maxAstNodes: 400, maxDepth: 40, maxListElements: 100, maxMapEntries: 50, maxCallArguments: 8 };
/** Nested comprehensions multiply with the body's list sizes; one level inside another is enough for every shipped rule. */
const MAX_COMPREHENSION_NESTING = 2;
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/**
 * portsInclude(range, port): whether an NSG port range ("22", "20-30", "*", or a list of them)
 * covers `port`. NSG port syntax:
 * https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview#security-rules
 * Anything that is not that syntax throws, so the rule fails closed.
 */
function portsInclude(range: unknown, port: bigint): boolean {
  const ranges = Array.isArray(range) ? range : [range];
  if (ranges.length > 1000) throw new Error('too many port ranges');
  return ranges.some((r) => {
    if (typeof r !== 'string') throw new Error('a port range is not a string');
    const text = r.trim();
    if (text === '*') return true;
    const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(text);
    if (!m) throw new Error(`'${text.slice(0, 20)}' is not a port range`);
    const low = BigInt(m[1]!);
    const high = m[2] === undefined ? low : BigInt(m[2]);
    return low <= port && port <= high;
  });
}

const environment = new Environment({ enableOptionalTypes: true, limits: LIMITS })
  .registerFunction('portsInclude(dyn, int): bool', portsInclude)
  .registerVariable('method', 'string')
  .registerVariable('action', 'string')
  .registerVariable('apiVersion', 'string')
  .registerVariable('resource', 'map<string, string>')
  .registerVariable('params', 'map<string, string>')
  .registerVariable('agent', 'map')
  .registerVariable('hasBody', 'bool')
  .registerVariable('body', 'map')
  .registerVariable('merged', 'map');

/** The facts a condition is evaluated over (request-facts.ts builds them). */
export interface ConditionFacts {
  method: string;
  action: string;
  apiVersion: string;
  resource: Map<string, string>;
  params: Map<string, string>;
  agent: Map<string, unknown>;
  hasBody: boolean;
  body: Map<string, unknown>;
  merged: Map<string, unknown>;
}

export interface CompiledCondition {
  source: string;
  /** the condition reads `body`: an unreadable body holds the request instead of guessing */
  readsBody: boolean;
  /** the condition reads `merged`: a PATCH needs the resource as it is, and holds when it cannot be read */
  readsMerged: boolean;
  /** conjuncts decidable from the raw request: when one is false the condition is, without CEL */
  guard?: ConditionGuard | undefined;
  evaluate(facts: ConditionFacts): boolean;
}

export class ConditionError extends Error {
  override name = 'ConditionError';
}

interface AstNode {
  op: string;
  args: unknown;
}

const isNode = (v: unknown): v is AstNode => typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as AstNode).op === 'string';

function children(node: AstNode): AstNode[] {
  const out: AstNode[] = [];
  const visit = (v: unknown) => {
    if (isNode(v)) out.push(v);
    else if (Array.isArray(v)) v.forEach(visit);
  };
  visit(node.args);
  return out;
}

function rootId(node: AstNode): string | undefined {
  let current: AstNode = node;
  for (;;) {
    if (current.op === 'id') return typeof current.args === 'string' ? current.args : undefined;
    const first = Array.isArray(current.args) ? current.args[0] : undefined;
    if (!isNode(first)) return undefined;
    current = first;
  }
}

/**
 * Facts whose values come in one letter case (request-facts.ts): `method` upper case, `action`
 * lower case. A rule comparing one with a literal in the other case can never match, so a
 * guardrail written `method == "put"` would silently never fire: refused at load instead.
 */
const LOWER = { spell: (t: string) => t.toLowerCase(), said: 'lower-cased' };
const ONE_CASE_FACTS: Record<string, { spell: (text: string) => string; said: string }> = {
  method: { spell: (t) => t.toUpperCase(), said: 'upper case (PUT, PATCH, POST, DELETE, GET)' },
  action: LOWER,
  'resource.id': LOWER,
  'resource.type': LOWER,
  'resource.subscriptionId': LOWER,
  'resource.resourceGroup': LOWER,
};

/** `method`, `action`, or `resource.<key>` (selected with `.` or `[...]`) for a node that reads one. */
function factName(v: unknown): string | undefined {
  if (!isNode(v)) return undefined;
  if (v.op === 'id') return typeof v.args === 'string' ? v.args : undefined;
  if ((v.op === '.' || v.op === '[]') && Array.isArray(v.args)) {
    const [target, key] = v.args as unknown[];
    const name = typeof key === 'string' ? key : isNode(key) && key.op === 'value' && typeof key.args === 'string' ? key.args : undefined;
    if (isNode(target) && target.op === 'id' && target.args === 'resource' && name !== undefined) return `resource.${name}`;
  }
  return undefined;
}

/** The string literals `node` compares a one-case fact with (==, !=, in a list), each with the fact. */
function comparedLiterals(node: AstNode): Array<{ fact: string; literal: string }> {
  if (!Array.isArray(node.args) || node.args.length !== 2) return [];
  const [left, right] = node.args as unknown[];
  const factOf = (v: unknown) => {
    const name = factName(v);
    return name !== undefined && name in ONE_CASE_FACTS ? name : undefined;
  };
  const literalOf = (v: unknown) => (isNode(v) && v.op === 'value' && typeof v.args === 'string' ? v.args : undefined);
  if (node.op === '==' || node.op === '!=') {
    const fact = factOf(left) ?? factOf(right);
    const literal = literalOf(left) ?? literalOf(right);
    return fact !== undefined && literal !== undefined ? [{ fact, literal }] : [];
  }
  if (node.op === 'in') {
    const fact = factOf(left);
    if (fact === undefined || !isNode(right) || right.op !== 'list' || !Array.isArray(right.args)) return [];
    return (right.args as unknown[]).flatMap((v) => {
      const literal = literalOf(v);
      return literal === undefined ? [] : [{ fact, literal }];
    });
  }
  return [];
}

/** Walks the AST: does it read `body` or `merged`, does it select a property of them with upper case, how deep do comprehensions nest. */
function inspect(ast: AstNode): { readsBody: boolean; readsMerged: boolean; problem?: string } {
  let readsBody = false;
  let readsMerged = false;
  let problem: string | undefined;
  const stack: Array<{ node: AstNode; nesting: number }> = [{ node: ast, nesting: 0 }];
  while (stack.length > 0) {
    const { node, nesting } = stack.pop()!;
    let depth = nesting;
    if (node.op === 'id' && node.args === 'body') readsBody = true;
    if (node.op === 'id' && node.args === 'merged') readsMerged = true;
    const root = rootId(node);
    if ((node.op === '.' || node.op === '.?' || node.op === '[]' || node.op === '[?]') && (root === 'body' || root === 'merged')) {
      const key = Array.isArray(node.args) ? node.args[1] : undefined;
      const name = typeof key === 'string' ? key : isNode(key) && key.op === 'value' && typeof key.args === 'string' ? key.args : undefined;
      if (name !== undefined && name !== name.toLowerCase()) {
        problem ??= `${root} property '${name}' has upper-case letters; ${root} property names are lower-cased before evaluation (ARM reads them case-insensitively), so write '${name.toLowerCase()}'`;
      }
    }
    for (const { fact, literal } of comparedLiterals(node)) {
      const { spell, said } = ONE_CASE_FACTS[fact]!;
      if (spell(literal) !== literal) problem ??= `${fact} is compared with '${literal}', but ${fact} is ${said}, so this never matches: write '${spell(literal)}'`;
    }
    if (node.op === 'rcall' && Array.isArray(node.args) && COMPREHENSIONS.has(String(node.args[0]))) {
      depth += 1;
      if (depth > MAX_COMPREHENSION_NESTING) problem ??= `comprehensions (all, exists, map, filter) nest ${depth} deep; at most ${MAX_COMPREHENSION_NESTING} are allowed so evaluation stays bounded`;
    }
    for (const child of children(node)) stack.push({ node: child, nesting: depth });
  }
  return problem === undefined ? { readsBody, readsMerged } : { readsBody, readsMerged, problem };
}

/** The first line of a CEL error (its later lines draw a caret under the source). */
function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim().slice(0, 300);
}

/** Compiles and type-checks `source`; throws ConditionError saying what is wrong. */
export function compileCondition(source: string): CompiledCondition {
  let checked;
  try {
    checked = environment.check(source);
  } catch (err) {
    throw new ConditionError(`not a valid CEL condition: ${firstLine(err)}`);
  }
  if (!checked.valid) throw new ConditionError(`not a valid CEL condition: ${firstLine(checked.error)}`);
  const type = String(checked.type);
  if (type !== 'bool' && type !== 'dyn') throw new ConditionError(`a condition must be true or false; this one is of type ${type}`);
  const program = environment.parse(source);
  const { readsBody, readsMerged, problem } = inspect(program.ast as AstNode);
  if (problem) throw new ConditionError(problem);
  return {
    source,
    readsBody,
    readsMerged,
    guard: conditionGuard(program.ast),
    evaluate(facts) {
      const result: unknown = program(facts as unknown as Record<string, unknown>);
      if (typeof result !== 'boolean') throw new ConditionError(`the condition gave ${typeof result}, not true or false`);
      return result;
    },
  };
}

export { firstLine as conditionErrorLine };
