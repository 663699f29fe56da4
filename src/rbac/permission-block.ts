/**
 * One compiled permission block (role definition or deny assignment): Actions minus
 * NotActions, DataActions minus NotDataActions. NotActions only subtract inside their own
 * block; a control-plane `*` never reaches data actions because the two lists are separate.
 */
import { compileLowerPattern, normalizeActionPattern, patternProvider, type LowerActionTest } from './action-pattern.ts';
import type { Permission } from './rbac-types.ts';

interface Entry {
  test: LowerActionTest;
  pattern: string;
}

/** A list of patterns, bucketed by provider so a check only tests the ones that can apply. */
export interface PatternSet {
  /** the original text of the first pattern matching the lower-case action, if any */
  first(actionLower: string, provider: string): string | undefined;
  readonly size: number;
}

const EMPTY: PatternSet = { first: () => undefined, size: 0 };

export function compilePatternSet(patterns: readonly string[]): PatternSet {
  if (patterns.length === 0) return EMPTY;
  const exact = new Map<string, string>();
  const byProvider = new Map<string, Entry[]>();
  const anyProvider: Entry[] = [];
  for (const pattern of patterns) {
    const p = normalizeActionPattern(pattern);
    if (!p.includes('*')) {
      if (!exact.has(p)) exact.set(p, pattern);
      continue;
    }
    const entry = { test: compileLowerPattern(p), pattern };
    const provider = patternProvider(p);
    if (provider === undefined) anyProvider.push(entry);
    else {
      const list = byProvider.get(provider);
      if (list) list.push(entry);
      else byProvider.set(provider, [entry]);
    }
  }
  return {
    size: patterns.length,
    first(a, provider) {
      const hit = exact.get(a);
      if (hit !== undefined) return hit;
      const list = byProvider.get(provider);
      if (list) for (const e of list) if (e.test(a)) return e.pattern;
      for (const e of anyProvider) if (e.test(a)) return e.pattern;
      return undefined;
    },
  };
}

export interface CompiledBlock {
  actions: PatternSet;
  notActions: PatternSet;
  dataActions: PatternSet;
  notDataActions: PatternSet;
  condition?: string;
  conditionVersion?: string | null;
}

export function compileBlock(p: Permission): CompiledBlock {
  const block: CompiledBlock = {
    actions: compilePatternSet(p.actions ?? []),
    notActions: compilePatternSet(p.notActions ?? []),
    dataActions: compilePatternSet(p.dataActions ?? []),
    notDataActions: compilePatternSet(p.notDataActions ?? []),
  };
  if (p.condition) {
    block.condition = p.condition;
    block.conditionVersion = p.conditionVersion ?? null;
  }
  return block;
}

/** The Actions/DataActions pattern through which the block covers the action, or undefined. */
export function blockMatch(b: CompiledBlock, actionLower: string, provider: string, data: boolean): string | undefined {
  const m = (data ? b.dataActions : b.actions).first(actionLower, provider);
  if (m === undefined) return undefined;
  return (data ? b.notDataActions : b.notActions).first(actionLower, provider) === undefined ? m : undefined;
}
