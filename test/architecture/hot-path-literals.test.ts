/**
 * The modules every agent decision and every audit append runs through build their objects
 * without adding properties after a leading spread (`{ ...x, a: 1 }`). In Node 20's V8 each
 * property added to an object made by a leading spread is a runtime call (~0.7 µs; the same
 * literal with its fields named costs ~0.03 µs), and four such literals on the decision path
 * cost a distinct decision about a tenth of its main-thread time over bare express (issue 18,
 * bench/RESULTS.md 2026-12-07, eighth pass). Read with the TypeScript compiler's parser: a
 * regression here is silent everywhere else, since the answers are the same.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Run per decision or per audit entry (set-up code, run once, is left out). */
const HOT_MODULES = [
  'audit/audit-hash.ts',
  'audit/audit-input.ts',
  'audit/audit-log.ts',
  'audit/audit-rows.ts',
  'audit/audit-writer.ts',
  'operations/decision-pipeline.ts',
  'operations/operation-audit.ts',
  'operations/operations-service.ts',
  'operations/permission-cache.ts',
  'operations/validate-operation.ts',
  'rbac/arm-operation-action.ts',
  'rbac/resolve-arm-operation.ts',
  'rbac/scope-path.ts',
  'web/api/agent-authentication.ts',
  'web/api/operations-routes.ts',
  'web/direct-route.ts',
  'web/request-context.ts',
];

/** `name:line` of each object literal in `text` that starts with a spread and goes on with a property. */
function spreadThenProperty(name: string, text: string): string[] {
  const source = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node) && node.properties.length > 1 && ts.isSpreadAssignment(node.properties[0]!)) {
      if (node.properties.slice(1).some((p) => !ts.isSpreadAssignment(p))) {
        found.push(`${name}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('object literals on the agents hot path', () => {
  it('finds the pattern it looks for, and only it', () => {
    const probe = ['const a = { ...b, c: 1 };', 'const d = { c: 1, ...b };', 'const e = { ...b };', 'const f = { ...b, ...g };', 'const h = {', '  ...b,', '  i,', '};'].join('\n');
    expect(spreadThenProperty('probe.ts', probe)).toEqual(['probe.ts:1', 'probe.ts:5']);
  });

  it.each(HOT_MODULES)('%s adds no property after a leading spread', (file) => {
    expect(spreadThenProperty(file, readFileSync(`${SRC}${file}`, 'utf8'))).toEqual([]);
  });
});
