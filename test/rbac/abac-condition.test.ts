import { describe, expect, it } from 'vitest';
import { compileCondition } from '../../src/rbac/abac-condition.ts';

const BLOB_READ = 'microsoft.storage/storageaccounts/blobservices/containers/blobs/read';
const BLOB_WRITE = 'microsoft.storage/storageaccounts/blobservices/containers/blobs/write';

describe('compileCondition (partial evaluation)', () => {
  const simple = `((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'blobs-example-container'))`;

  it('is true for actions the condition does not target and unknown for the targeted one', () => {
    const c = compileCondition(simple);
    expect(c.understood).toBe(true);
    expect(c.test(BLOB_WRITE)).toBe(true);
    expect(c.test(BLOB_READ)).toBeUndefined();
  });

  it('handles the built-in role-assignment conditions (AND of two guarded clauses)', () => {
    const c = compileCondition(
      "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals{08d4c71acc634ce4a9c85dd251b4d619})) AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals{08d4c71acc634ce4a9c85dd251b4d619}))",
    );
    expect(c.understood).toBe(true);
    expect(c.test('microsoft.authorization/roleassignments/write')).toBeUndefined();
    expect(c.test('microsoft.authorization/roleassignments/delete')).toBeUndefined();
    expect(c.test('microsoft.authorization/roleassignments/read')).toBe(true);
  });

  it('treats sub-operations as unknown', () => {
    const c = compileCondition(
      `((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND NOT SubOperationMatches{'Blob.List'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs/tags:Project<$key_case_sensitive$>] StringEquals 'Cascade'))`,
    );
    expect(c.understood).toBe(true);
    expect(c.test(BLOB_READ)).toBeUndefined();
    expect(c.test(BLOB_WRITE)).toBe(true);
  });

  it('evaluates && || ! spellings and wildcard ActionMatches', () => {
    const c = compileCondition(`!(ActionMatches{'Microsoft.Storage/*'}) || @Environment[UtcNow] DateTimeGreaterThan '2020-01-01T00:00:00Z'`);
    expect(c.test('microsoft.compute/virtualmachines/read')).toBe(true);
    expect(c.test(BLOB_READ)).toBeUndefined();
    expect(compileCondition(`ActionMatches{'a/b'} && ActionMatches{'a/c'}`).test('a/b')).toBe(false);
  });

  it('never lets quoted text act as an operator', () => {
    const c = compileCondition(`(!(ActionMatches{'x/y'})) OR (@Resource[x:name] StringEquals ') OR (true')`);
    expect(c.understood).toBe(true);
    expect(c.test('x/y')).toBeUndefined();
  });

  it.each([
    ['AND and OR mixed without parentheses', `ActionMatches{'a/b'} OR ActionMatches{'a/c'} AND @Resource[x] StringEquals 'y'`],
    ['unbalanced parentheses', `((!(ActionMatches{'a/b'}))`],
    ['unterminated string', `!(ActionMatches{'a/b})`],
    ['ActionMatches with a list', `!(ActionMatches{'a/b', 'a/c'})`],
    ['lower-case operator', `!(ActionMatches{'a/b'}) or @Resource[x] StringEquals 'y'`],
    ['empty', ''],
    ['too long', `!(ActionMatches{'a/b'}) OR ${"@Resource[x] StringEquals 'y' OR ".repeat(400)}@Resource[x] StringEquals 'y'`],
  ])('is unknown as a whole when it cannot be read: %s', (_why, text) => {
    const c = compileCondition(text);
    expect(c.understood).toBe(false);
    expect(c.test('a/z')).toBeUndefined();
    expect(c.test('a/b')).toBeUndefined();
  });
});
