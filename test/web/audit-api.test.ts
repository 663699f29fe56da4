import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuditEntry } from '../../src/audit/audit-types.ts';
import { generatedInput, prng } from '../audit/audit-search-fixtures.ts';
import { appendRequestFlows, OBO_REQUEST } from '../audit/audit-flow-fixtures.ts';
import { auditWebRig, type AuditWebRig } from './audit-web-fixtures.ts';

let rig: AuditWebRig;
let siem: string;
beforeAll(async () => {
  rig = await auditWebRig();
  await appendRequestFlows(rig.module.audit);
  const rand = prng(5);
  await Promise.all(Array.from({ length: 400 }, (_, i) => rig.module.audit.append(generatedInput(rand, i))));
  siem = await rig.token({ roles: ['Audit.Read'] });
});
afterAll(() => rig.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function allPages(query: Record<string, string>, headers: Record<string, string>): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let cursor: string | null = null;
  do {
    const res = await request(rig.app).get('/api/v1/audit').query({ ...query, limit: '33', ...(cursor ? { cursor } : {}) }).set(headers).expect(200);
    out.push(...(res.body.entries as AuditEntry[]));
    cursor = res.body.nextCursor as string | null;
  } while (cursor);
  return out;
}

describe('audit API', () => {
  it('pages filtered entries for an app with Audit.Read, with an opaque cursor', async () => {
    const query = { agentId: 'a1', scopePrefix: '/subscriptions/s1' };
    const entries = await allPages(query, bearer(siem));
    const expected: number[] = [];
    for await (const e of rig.module.query.stream({ agentId: 'a1', scopePrefix: '/subscriptions/s1' })) expected.push(e.seq);
    expect(entries.map((e) => e.seq)).toEqual(expected);
    expect(expected.length).toBeGreaterThan(33);
    const res = await request(rig.app).get('/api/v1/audit').query({ limit: '2' }).set(bearer(siem)).expect(200);
    expect(res.body.nextCursor).toMatch(/^c1\./);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('exports exactly the API pages concatenated, in both orders and formats', async () => {
    for (const order of ['desc', 'asc']) {
      const query = { requestId: OBO_REQUEST, order };
      const pages = await allPages(query, bearer(siem));
      const res = await request(rig.app).get('/api/v1/audit/export').query({ ...query, format: 'jsonl' }).set(bearer(siem)).expect(200);
      const lines = res.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.slice(0, -1)).toEqual(pages);
      expect(lines.at(-1)).toMatchObject({ trailer: { entries: pages.length, lastSeq: pages.at(-1)!.seq, lastHash: pages.at(-1)!.hash, order } });
    }
    const csv = await request(rig.app).get('/api/v1/audit/export').query({ format: 'csv', requestId: OBO_REQUEST }).set(bearer(siem)).expect(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.text.trim().split('\r\n')).toHaveLength(1 + 8 + 1);
  });

  it('serves one entry', async () => {
    const res = await request(rig.app).get('/api/v1/audit/entries/1').set(bearer(siem)).expect(200);
    expect(res.body).toMatchObject({ seq: 1, eventType: 'operation.requested' });
    await request(rig.app).get('/api/v1/audit/entries/0').set(bearer(siem)).expect(404);
    await request(rig.app).get('/api/v1/audit/entries/abc').set(bearer(siem)).expect(404);
  });

  it('lets a signed-in Auditor use it with the session, and refuses a Standard User', async () => {
    const res = await request(rig.app).get('/api/v1/audit').query({ requestId: OBO_REQUEST }).set({ 'x-test-user': 'auditor' }).expect(200);
    expect(res.body.entries).toHaveLength(8);
    const denied = await request(rig.app).get('/api/v1/audit').set({ 'x-test-user': 'standard' }).expect(403);
    expect(denied.body.error).toMatchObject({ code: 'forbidden', message: 'Viewing the audit log needs the SRE Agent Administrator or Auditor role.' });
    await request(rig.app).get('/api/v1/audit/export').set({ 'x-test-user': 'standard' }).expect(403);
  });

  it('refuses callers without the role or with a bad token, and never echoes the token', async () => {
    await request(rig.app).get('/api/v1/audit').expect(401);
    const noRole = await request(rig.app).get('/api/v1/audit').set(bearer(await rig.token({ roles: ['SomethingElse'] }))).expect(403);
    expect(noRole.body.error.message).toMatch(/Audit\.Read/);
    // A person's delegated token, even an Auditor's, is not how people use the API.
    const delegated = await rig.token({ roles: ['SREAgent.Auditor'], scp: 'user_impersonation', idtyp: 'user' });
    await request(rig.app).get('/api/v1/audit').set(bearer(delegated)).expect(403);
    // The app role of a person is not honoured for an app, and vice versa.
    await request(rig.app).get('/api/v1/audit').set(bearer(await rig.token({ roles: ['SREAgent.Auditor'] }))).expect(403);

    const forged = await rig.token({ roles: ['Audit.Read'] }, { key: 'stranger' });
    const bad = await request(rig.app).get('/api/v1/audit').set(bearer(forged)).expect(401);
    expect(JSON.stringify(bad.body)).not.toContain(forged.split('.')[2]);
    expect(bad.headers['www-authenticate']).toContain('invalid_token');
    await request(rig.app).get('/api/v1/audit').set(bearer(await rig.token({ roles: ['Audit.Read'] }, { audience: 'api://other' }))).expect(401);
    await request(rig.app).get('/api/v1/audit').set(bearer(await rig.token({ roles: ['Audit.Read'] }, { expiresIn: Math.floor(Date.now() / 1000) - 3600 }))).expect(401);
    await request(rig.app).get('/api/v1/audit').set({ authorization: 'Basic dXNlcjpwYXNz' }).expect(401);
    await request(rig.app).get('/api/v1/audit').set({ authorization: `Bearer ${'a'.repeat(15_000)}` }).expect(401);
  });

  it('answers bad parameters with a one-line 400', async () => {
    for (const query of [{ limit: '0' }, { limit: '501' }, { limit: 'ten' }, { order: 'sideways' }, { cursor: 'c1.!!' }, { from: 'yesterday' }, { unknownFilter: 'x' }, { scopePrefix: 'rg1' }]) {
      const res = await request(rig.app).get('/api/v1/audit').query(query).set(bearer(siem)).expect(400);
      expect(res.body.error.code).toBe('bad_search');
      expect(res.body.error.message).not.toContain('\n');
    }
    await request(rig.app).get('/api/v1/audit?agentId=a&agentId=b').set(bearer(siem)).expect(400);
  });

  it('audits refused API calls with who tried', async () => {
    await request(rig.app).get('/api/v1/audit').set(bearer(await rig.token({ roles: [], oid: '99999999-0000-4000-8000-0000000000ee' }))).expect(403);
    await vi.waitFor(async () => {
      const refused = await rig.module.query.page({ eventType: 'http.refused' });
      expect(refused.entries.some((e) => e.actor.id === '99999999-0000-4000-8000-0000000000ee' && e.actor.kind === 'service')).toBe(true);
    });
  });
});
