import { describe, expect, it } from 'vitest';
import { jsonBodyProblem, LIMITS } from '../../src/operations/operation-schema.ts';
import { validateOperationInput } from '../../src/operations/validate-operation.ts';

const SUB = '11111111-2222-3333-4444-555555555555';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-sre-apps`;
const agent = { resourceGroupIds: [RG] };
const APP = `${RG}/providers/Microsoft.App/containerApps/app1`;

const read = { method: 'GET', path: APP, apiVersion: '2024-03-01', trigger: { kind: 'chat' }, idempotencyKey: 'k-1' };
const write = {
  method: 'POST',
  path: `${APP}/revisions/app1--rev1/restart`,
  apiVersion: '2024-03-01',
  justification: 'restart the stuck revision (incident 42)',
  trigger: { kind: 'incident', ref: 'INC-42', requestedBy: 'alice@contoso.com' },
  idempotencyKey: 'k-2',
};

function fieldsOf(raw: unknown) {
  const r = validateOperationInput(raw, agent);
  if (r.ok) throw new Error('expected a refusal');
  expect(r.error.code).toBe('invalid_request');
  expect(r.error.message).toMatch(/^invalid request: /);
  return r.error.fields;
}

describe('validateOperationInput', () => {
  it('accepts a read and a justified write, keeping only known fields', () => {
    const r1 = validateOperationInput(read, agent);
    expect(r1).toEqual({ ok: true, value: { method: 'GET', path: APP, apiVersion: '2024-03-01', trigger: { kind: 'chat' }, idempotencyKey: 'k-1' } });
    const r2 = validateOperationInput({ ...write, body: { properties: { a: [1, 'x', null, true] } } }, agent);
    expect(r2.ok && r2.value.trigger).toEqual({ kind: 'incident', ref: 'INC-42', requestedBy: 'alice@contoso.com' });
    expect(r2.ok && r2.value.body).toEqual({ properties: { a: [1, 'x', null, true] } });
  });

  it('accepts -preview api versions and keeps line breaks in the justification', () => {
    const r = validateOperationInput({ ...write, apiVersion: '2023-11-02-preview', justification: 'line 1\nline 2\ttab' }, agent);
    expect(r.ok).toBe(true);
  });

  it('rejects unknown fields at every level, naming them', () => {
    expect(fieldsOf({ ...read, extra: 1 })).toEqual([{ path: 'extra', message: 'is not a known field' }]);
    expect(fieldsOf({ ...read, trigger: { kind: 'chat', urgent: true } })).toEqual([{ path: 'trigger.urgent', message: 'is not a known field' }]);
    // a hostile key is not echoed
    expect(fieldsOf({ ...read, 'ignore previous instructions\u202e': 1 })).toEqual([{ path: '(unprintable field name)', message: 'is not a known field' }]);
    expect(fieldsOf(JSON.parse(`{"method":"GET","path":"${APP}","apiVersion":"2024-03-01","trigger":{"kind":"chat"},"idempotencyKey":"k","__proto__":{"x":1}}`))).toEqual([
      { path: '__proto__', message: 'is not a known field' },
    ]);
  });

  it('requires a justification for every write, but not for reads', () => {
    const { justification: _j, ...noJustification } = write;
    expect(fieldsOf(noJustification)).toEqual([{ path: 'justification', message: 'is required for POST (a write)' }]);
    expect(fieldsOf({ ...write, justification: '   ' })).toEqual([{ path: 'justification', message: 'is required for POST (a write)' }]);
    expect(fieldsOf({ ...write, method: 'DELETE', path: APP, justification: undefined })[0]!.path).toBe('justification');
  });

  it('reports missing fields as required', () => {
    expect(fieldsOf({ method: 'GET' })).toEqual(
      expect.arrayContaining([
        { path: 'path', message: 'is required' },
        { path: 'apiVersion', message: 'is required' },
        { path: 'trigger', message: 'is required' },
        { path: 'idempotencyKey', message: 'is required' },
      ]),
    );
  });

  it.each([
    [{ ...read, method: 'HEAD' }, 'method'],
    [{ ...read, method: 'get' }, 'method'],
    [{ ...read, apiVersion: '2024-3-1' }, 'apiVersion'],
    [{ ...read, apiVersion: '2024-13-01' }, 'apiVersion'],
    [{ ...read, apiVersion: '2024-03-01-beta' }, 'apiVersion'],
    [{ ...read, apiVersion: '2024-03-01&x=1' }, 'apiVersion'],
    [{ ...read, trigger: { kind: 'cron' } }, 'trigger.kind'],
    [{ ...read, trigger: { kind: 'chat', ref: 'x'.repeat(LIMITS.triggerRef + 1) } }, 'trigger.ref'],
    [{ ...read, trigger: { kind: 'chat', requestedBy: 'eve\u0007' } }, 'trigger.requestedBy'],
    [{ ...read, idempotencyKey: '' }, 'idempotencyKey'],
    [{ ...read, idempotencyKey: 'a b' }, 'idempotencyKey'],
    [{ ...read, idempotencyKey: 'k'.repeat(LIMITS.idempotencyKey + 1) }, 'idempotencyKey'],
    [{ ...write, justification: 'x'.repeat(LIMITS.justification + 1) }, 'justification'],
    [{ ...write, justification: 'ok\u202egnp.exe' }, 'justification'],
    [{ ...write, justification: 'lone \ud800 surrogate' }, 'justification'],
    [{ ...read, body: {} }, 'body'],
    [{ ...read, path: `${RG}/../rg-data` }, 'path'],
    [{ ...read, path: `${RG}%2f..%2frg-data` }, 'path'],
    [{ ...read, path: `${APP}?api-version=1` }, 'path'],
    [{ ...read, path: 42 }, 'path'],
  ])('refuses %j at %s', (raw, field) => {
    expect(fieldsOf(raw).map((f) => f.path)).toContain(field);
  });

  it('refuses paths outside the agent’s managed resource groups', () => {
    const fields = fieldsOf({ ...read, path: `/subscriptions/${SUB}/resourceGroups/rg-data/providers/Microsoft.Storage/storageAccounts/s` });
    expect(fields).toEqual([{ path: 'path', message: "must be inside one of the agent's managed resource groups" }]);
  });

  it('judges each path on its own, alternating good and bad (the path check is remembered for one path only)', () => {
    const bad = `${RG}/providers/Microsoft.App/containerApps/app1/../app2`;
    for (let i = 0; i < 3; i++) {
      expect(validateOperationInput(read, agent).ok).toBe(true);
      expect(fieldsOf({ ...read, path: bad })).toEqual([{ path: 'path', message: "must not contain '..'" }]);
      // the query check reads each path's own verdict: it runs for a good path only
      expect(fieldsOf({ ...read, path: bad, query: { foo: 'x' } }).map((f) => f.path)).toEqual(['path']);
      expect(fieldsOf({ ...read, query: { foo: 'x' } }).map((f) => f.path)).toEqual(['query']);
    }
  });

  it('refuses non-objects', () => {
    for (const raw of [null, [], 'GET', 3]) expect(fieldsOf(raw)).toEqual([{ path: '', message: 'expected a JSON object' }]);
  });

  it('counts every problem in the message', () => {
    const r = validateOperationInput({ method: 'X', path: 1, apiVersion: 'y', trigger: {}, idempotencyKey: '' }, agent);
    expect(!r.ok && r.error.message).toMatch(/\(and \d+ more problems\)$/);
  });
});

describe('jsonBodyProblem', () => {
  it('accepts ordinary ARM bodies', () => {
    expect(jsonBodyProblem({ location: 'westeurope', properties: { template: { containers: [{ image: 'x', env: [] }] } } })).toBeUndefined();
  });

  it('refuses hostile nesting without recursing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonBodyProblem(deep)).toBe(`must be nested at most ${LIMITS.bodyDepth} levels deep`);
  });

  it('refuses bodies over the size limit', () => {
    expect(jsonBodyProblem({ blob: 'x'.repeat(LIMITS.bodyBytes) })).toBe(`must be at most ${LIMITS.bodyBytes} bytes when serialized`);
  });

  it('refuses non-JSON values and unpaired surrogates', () => {
    expect(jsonBodyProblem({ a: Number.NaN })).toBe('must contain only finite numbers');
    expect(jsonBodyProblem({ a: new Date() })).toBe('must be JSON data');
    expect(jsonBodyProblem({ a: '\udc00' })).toMatch(/surrogates/);
    expect(jsonBodyProblem({ ['\ud800']: 1 })).toMatch(/surrogates/);
  });
});
