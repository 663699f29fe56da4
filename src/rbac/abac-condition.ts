/**
 * Partial evaluation of Azure ABAC conditions (conditionVersion 2.0) with three-valued logic.
 *
 * Elevate sees the action of a check but none of the request, resource, principal or
 * environment attributes a condition may test. So `ActionMatches{'...'}` is evaluated, every
 * attribute comparison and `SubOperationMatches` is unknown, and AND / OR / NOT combine as
 * Kleene logic. Only a condition that is *true whatever the unknown attributes are* (typically
 * `!(ActionMatches{'X'}) OR ...` checked for an action other than X) lets a grant count;
 * unknown means "conditional", false means "no grant". Anything the parser does not fully
 * understand (including AND and OR mixed without parentheses) is unknown as a whole.
 */
import { compileLowerActionPattern, type LowerActionTest } from './action-pattern.ts';

/** true / false when decided by the action alone, undefined when it depends on attributes. */
export type ConditionValue = boolean | undefined;
export type ConditionTest = (actionLower: string) => ConditionValue;

type Token =
  | { t: '(' | ')' | 'not' | 'and' | 'or' }
  | { t: 'action'; test: LowerActionTest }
  | { t: 'opaque' };

type Node =
  | { k: 'not'; arg: Node }
  | { k: 'and' | 'or'; args: Node[] }
  | { k: 'action'; test: LowerActionTest }
  | { k: 'unknown' };

class ConditionSyntaxError extends Error {}

const MAX_CONDITION_LENGTH = 8192;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const readQuoted = (): string => {
    // at a quote; returns the content, with '' or \' as an escaped quote
    let s = '';
    i++;
    for (;;) {
      if (i >= src.length) throw new ConditionSyntaxError('unterminated string');
      const c = src[i]!;
      if (c === '\\' && i + 1 < src.length) { s += src[i + 1]; i += 2; continue; }
      if (c === "'") {
        if (src[i + 1] === "'") { s += "'"; i += 2; continue; }
        i++;
        return s;
      }
      s += c;
      i++;
    }
  };
  const readGroup = (close: string): string[] => {
    // at an opening brace or bracket; returns the quoted strings inside
    const strings: string[] = [];
    i++;
    for (;;) {
      if (i >= src.length) throw new ConditionSyntaxError(`unterminated group, expected ${close}`);
      const c = src[i]!;
      if (c === close) { i++; return strings; }
      if (c === "'") strings.push(readQuoted());
      else i++;
    }
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')') { out.push({ t: c }); i++; continue; }
    if (c === '!') { out.push({ t: 'not' }); i++; continue; }
    if (src.startsWith('&&', i)) { out.push({ t: 'and' }); i += 2; continue; }
    if (src.startsWith('||', i)) { out.push({ t: 'or' }); i += 2; continue; }
    if (c === "'") { readQuoted(); out.push({ t: 'opaque' }); continue; }
    if (c === '{') { readGroup('}'); out.push({ t: 'opaque' }); continue; }
    if (c === '[') { readGroup(']'); out.push({ t: 'opaque' }); continue; }
    const m = /^[^\s()!{}[\]']+/.exec(src.slice(i));
    if (!m) throw new ConditionSyntaxError(`unexpected character ${JSON.stringify(c)}`);
    const word = m[0];
    i += word.length;
    if (word === 'AND') out.push({ t: 'and' });
    else if (word === 'OR') out.push({ t: 'or' });
    else if (word === 'NOT') out.push({ t: 'not' });
    else if (word === 'ActionMatches' && src[i] === '{') {
      const args = readGroup('}');
      if (args.length !== 1) throw new ConditionSyntaxError('ActionMatches takes exactly one action');
      out.push({ t: 'action', test: compileLowerActionPattern(args[0]!) });
    } else out.push({ t: 'opaque' });
  }
  return out;
}

function parse(tokens: Token[]): Node {
  let pos = 0;
  const peek = () => tokens[pos];
  const expr = (): Node => {
    const first = unary();
    const op = peek()?.t;
    if (op !== 'and' && op !== 'or') return first;
    const args = [first];
    while (peek()?.t === op) {
      pos++;
      args.push(unary());
    }
    const next = peek()?.t;
    if (next === 'and' || next === 'or') throw new ConditionSyntaxError('AND and OR mixed without parentheses');
    return { k: op, args };
  };
  const unary = (): Node => {
    const tok = peek();
    if (!tok) throw new ConditionSyntaxError('unexpected end');
    if (tok.t === 'not') { pos++; return { k: 'not', arg: unary() }; }
    if (tok.t === '(') {
      pos++;
      const inner = expr();
      if (peek()?.t !== ')') throw new ConditionSyntaxError('missing )');
      pos++;
      return inner;
    }
    if (tok.t === 'action') { pos++; return { k: 'action', test: tok.test }; }
    if (tok.t === 'opaque') {
      // an attribute comparison: a run of words, strings and groups
      while (peek()?.t === 'opaque') pos++;
      return { k: 'unknown' };
    }
    throw new ConditionSyntaxError(`unexpected ${tok.t}`);
  };
  const root = expr();
  if (pos !== tokens.length) throw new ConditionSyntaxError('trailing input');
  return root;
}

function evaluate(n: Node, a: string): ConditionValue {
  switch (n.k) {
    case 'action': return n.test(a);
    case 'unknown': return undefined;
    case 'not': {
      const v = evaluate(n.arg, a);
      return v === undefined ? undefined : !v;
    }
    case 'and': {
      let unknown = false;
      for (const x of n.args) {
        const v = evaluate(x, a);
        if (v === false) return false;
        if (v === undefined) unknown = true;
      }
      return unknown ? undefined : true;
    }
    case 'or': {
      let unknown = false;
      for (const x of n.args) {
        const v = evaluate(x, a);
        if (v === true) return true;
        if (v === undefined) unknown = true;
      }
      return unknown ? undefined : false;
    }
  }
}

export interface CompiledCondition {
  /** whether the whole condition parsed; when false every evaluation is unknown */
  understood: boolean;
  test: ConditionTest;
}

/** Compiles a condition for partial evaluation. Never throws: what it cannot read is unknown. */
export function compileCondition(condition: string): CompiledCondition {
  if (condition.length > MAX_CONDITION_LENGTH) return { understood: false, test: () => undefined };
  try {
    const root = parse(tokenize(condition));
    return { understood: true, test: (a) => evaluate(root, a) };
  } catch {
    return { understood: false, test: () => undefined };
  }
}
