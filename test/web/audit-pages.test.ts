import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RequestHandler } from 'express';
import type { AgentRegistry } from '../../src/agents/agent-registry.ts';
import type { ApprovalsModule } from '../../src/approvals/approvals-module.ts';
import { csrfProtection } from '../../src/sessions/csrf-protection.ts';
import { sendDenial } from '../../src/signin/deny-response.ts';
import { agentPages } from '../../src/web/pages/agents-pages.ts';
import { approvalPages } from '../../src/web/pages/approval-pages.ts';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { requireAbility } from '../../src/signin/access-control.ts';
import { appendConsentFlows, appendRequestFlows, APPROVER, CONSENT_REQUEST, CORRELATION, DEALLOCATE, LEGACY_CONSENT_REQUEST, MI, MI_PRINCIPAL, MI_REQUEST, OBO_REQUEST } from '../audit/audit-flow-fixtures.ts';
import { useTempDir } from '../audit/audit-tamper-fixtures.ts';
import { dropGuards } from '../audit/audit-fixtures.ts';
import { auditWebRig, CSRF, type AuditWebRig } from './audit-web-fixtures.ts';

const tempDir = useTempDir();

/** Every call the real approval and agent pages make into their modules; none may come from an Auditor. */
const reached: string[] = [];
const untouchable = new Proxy(
  {},
  {
    get: (_t, prop) => (..._args: unknown[]) => {
      reached.push(String(prop));
      return Promise.reject(new Error(`${String(prop)} was reached`));
    },
  },
);

/** The real approval and agent routers, over modules that record (and refuse) every call. */
function decisionRoutes() {
  const csrf = csrfProtection((req, res) => sendDenial(req, res, { status: 403, error: 'csrf_token_invalid', message: 'This form has expired.', view: 'errors/csrf-failed.njk' }));
  const pass: RequestHandler = (_req, _res, next) => next();
  return [
    {
      path: '/approvals',
      handlers: approvalPages({ approvals: untouchable as ApprovalsModule, requireAbility, csrfProtection: csrf, decisionLimiter: pass, beginSignIn: () => Promise.reject(new Error('no sign-in')) }),
    },
    { path: '/agents', handlers: agentPages({ registry: untouchable as AgentRegistry, requireAbility, csrfProtection: csrf }) },
  ];
}

let rig: AuditWebRig;
beforeEach(async () => {
  rig = await auditWebRig({ dir: tempDir(), extraRoutes: decisionRoutes() });
  await appendRequestFlows(rig.module.audit);
  await appendConsentFlows(rig.module.audit);
});
afterEach(() => rig.close());

const as = (who: 'auditor' | 'admin' | 'standard' | 'reader') => ({ 'x-test-user': who, accept: 'text/html' });

describe('audit pages: who may see them', () => {
  it('lets an Auditor and an Administrator read, and refuses a Standard User and a Reader with 403', async () => {
    for (const who of ['auditor', 'admin'] as const) {
      for (const path of ['/audit', '/audit/overview', '/audit/entries/1', `/audit/requests/${OBO_REQUEST}`, '/audit/verify', '/audit/export']) {
        await request(rig.app).get(path).set(as(who)).expect(200);
      }
    }
    for (const who of ['standard', 'reader'] as const) {
      for (const path of ['/audit', '/audit/overview', '/audit/entries/1', `/audit/requests/${OBO_REQUEST}`, '/audit/verify', '/audit/export']) {
        const res = await request(rig.app).get(path).set(as(who)).expect(403);
        expect(res.text).toMatch(/(Viewing|Verifying|Exporting) the audit log needs the SRE Agent Administrator or Auditor role/);
      }
    }
  });

  it('lets an Auditor read but not approve, deny or change agents (403), before anything is touched', async () => {
    reached.length = 0;
    const auditor = { 'x-test-user': 'auditor', accept: 'application/json' };
    for (const path of ['/approvals/r1/approve', '/approvals/r1/deny', '/agents', '/agents/a1/level']) {
      const res = await request(rig.app).post(path).set(auditor).type('form').send({ _csrf: CSRF, reason: 'looks fine', name: 'x', level: 'Privileged' });
      expect(res.status, path).toBe(403);
      expect(res.body.error).toBe('forbidden');
    }
    expect(reached).toEqual([]);
    // The administrator, for contrast, gets past the same guard to the use case.
    const admin = await request(rig.app).post('/approvals/r1/approve').set({ 'x-test-user': 'admin', accept: 'application/json' }).type('form').send({ _csrf: CSRF, reason: 'ok' });
    expect(admin.status).not.toBe(403);
    expect(reached).toContain('approve');
  });

  it('sends an anonymous browser to sign in', async () => {
    const res = await request(rig.app).get('/audit?agentId=x').set({ accept: 'text/html' }).expect(303);
    expect(res.headers.location).toBe('/auth/signin?returnTo=%2Faudit%3FagentId%3Dx');
  });

  it('audits refusals, a flood collapsing into one entry per minute', async () => {
    for (let i = 0; i < 20; i++) await request(rig.app).get('/audit').set(as('standard')).expect(403);
    await vi.waitFor(async () => {
      const refused = await rig.module.query.page({ eventType: 'http.refused' });
      expect(refused.entries).toHaveLength(1);
      expect(refused.entries[0]).toMatchObject({ actor: { id: '00000000-0000-4000-8000-0000000000a3' }, outcome: 'forbidden', details: { status: 403, method: 'GET', route: '/audit' } });
    });
    await rig.module.recorder.flush();
    const repeated = await rig.module.query.page({ eventType: 'refusal.repeated' });
    expect(repeated.entries[0]!.details).toMatchObject({ count: 19, reason: '403 GET /audit' });
  });
});

describe('audit pages: content', () => {
  it('lists and filters entries, linking each request to its timeline', async () => {
    const res = await request(rig.app).get(`/audit?requestId=${OBO_REQUEST}`).set(as('auditor')).expect(200);
    const seqs = [...res.text.matchAll(/<tr data-seq="(\d+)">/g)].map((m) => Number(m[1]));
    expect(seqs).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(res.text).toContain(`href="/audit/requests/${OBO_REQUEST}"`);
    expect(res.text).toContain(`href="/audit/export?requestId=${OBO_REQUEST}&amp;format=csv"`);
    const scoped = await request(rig.app).get('/audit').query({ scopePrefix: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sre', actingIdentity: MI }).set(as('auditor')).expect(200);
    expect(scoped.text).toContain('No entries match');
  });

  it('suggests, in the event type filter, every kind of entry Elevate writes', async () => {
    // The kinds named in the source as string literals (`level.assignment-${action}` is listed by hand).
    const kinds = new Set<string>();
    for (const file of readdirSync('src', { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.startsWith('sandbox/')) continue;
      for (const m of readFileSync(join('src', file), 'utf8').matchAll(/'((?:operation|approval|arm|token|signin|http|refusal|audit|incident|level|level-raise|agent|api|notification)\.[a-z._-]+)'/g)) kinds.add(m[1]!);
    }
    expect(kinds.size).toBeGreaterThan(50);
    const page = (await request(rig.app).get('/audit').set(as('auditor')).expect(200)).text;
    const offered = new Set([.../<option value="([^"]+)">/g[Symbol.matchAll](/<datalist id="audit-event-types">([\s\S]*?)<\/datalist>/.exec(page)![1]!)].map((m) => m[1]));
    expect([...kinds].filter((k) => !offered.has(k))).toEqual([]);
    for (const action of ['create', 'delete', 'remove-drift']) expect(offered).toContain(`level.assignment-${action}`);
  });

  it('answers a bad filter with 400 and the reason, keeping what was typed (escaped)', async () => {
    const res = await request(rig.app).get('/audit').query({ from: '2026-02-30', agentId: '<b>x</b>' }).set(as('auditor')).expect(400);
    expect(res.text).toContain('from is not a valid date');
    expect(res.text).toContain('value="&lt;b&gt;x&lt;/b&gt;"');
    await request(rig.app).get('/audit').query({ bogus: '1' }).set(as('auditor')).expect(400);
    await request(rig.app).get('/audit').query({ cursor: 'forged' }).set(as('auditor')).expect(400);
  });

  it('pages with a cursor link', async () => {
    for (let i = 0; i < 60; i++) await rig.module.audit.append({ actor: { kind: 'system', id: 'elevate' }, eventType: 'test.filler', details: { i } });
    const first = await request(rig.app).get('/audit').set(as('auditor')).expect(200);
    const next = /href="(\/audit\?cursor=[^"]+)" data-testid="next-page"/.exec(first.text)![1]!;
    const second = await request(rig.app).get(next.replace(/&amp;/g, '&')).set(as('auditor')).expect(200);
    const firstSeqs = [...first.text.matchAll(/<tr data-seq="(\d+)">/g)].map((m) => Number(m[1]));
    const secondSeqs = [...second.text.matchAll(/<tr data-seq="(\d+)">/g)].map((m) => Number(m[1]));
    expect(firstSeqs).toHaveLength(50);
    expect(secondSeqs[0]).toBe(firstSeqs[49]! - 1);
  });

  it('shows an entry with its canonical JSON and hash', async () => {
    const entry = (await rig.module.query.entry(2))!;
    const res = await request(rig.app).get('/audit/entries/2').set(as('auditor')).expect(200);
    expect(res.text).toContain(entry.hash);
    expect(res.text).toContain('matches the content below');
    expect(res.text).toContain('&quot;event_type&quot;:&quot;approval.decided&quot;');
    await request(rig.app).get('/audit/entries/999').set(as('auditor')).expect(404);
    await request(rig.app).get('/audit/entries/1e3').set(as('auditor')).expect(404);
  });

  it('shows a request timeline: raised, approved, executed with the approver OBO, ARM correlation id, token discarded', async () => {
    const res = await request(rig.app).get(`/audit/requests/${OBO_REQUEST}`).set(as('auditor')).expect(200);
    for (const stage of ['raised', 'approved', 'executing', 'arm-request', 'arm-response', 'token-discarded', 'executed']) expect(res.text).toContain(`data-stage="${stage}"`);
    expect(res.text).toMatch(new RegExp(`data-testid="executed-as">OBO ${APPROVER.oid}<`));
    expect(res.text).toContain(`data-testid="timeline-approver">${APPROVER.upn} (${APPROVER.oid}), tenant ${APPROVER.tid}<`);
    expect(res.text).toContain(`data-testid="timeline-correlation">${CORRELATION}<`);
    expect(res.text).toContain('discarded (recorded)');
    await request(rig.app).get('/audit/requests/no-such-request').set(as('auditor')).expect(404);
  });

  it('says a consented write ran with the managed identity and used no token, whether recorded before 011 or since', async () => {
    for (const id of [LEGACY_CONSENT_REQUEST, CONSENT_REQUEST]) {
      const res = await request(rig.app).get(`/audit/requests/${id}`).set(as('auditor')).expect(200);
      expect(res.text).toMatch(new RegExp(`data-testid="executed-as">managed identity ${MI}[ <]`));
      expect(res.text).not.toContain('OBO');
      expect(res.text).toContain('data-testid="timeline-token">no token was used<');
    }
    const legacy = await request(rig.app).get(`/audit/requests/${LEGACY_CONSENT_REQUEST}`).set(as('auditor')).expect(200);
    expect(legacy.text).toContain(`(recorded as ${MI_PRINCIPAL})`);
  });

  it('filters by agent:<id> to every managed-identity execution, old entries included, and by the approver to OBO only', async () => {
    // the link text is shortened; its title names the whole request id
    const requestsOf = (text: string) => new Set([...text.matchAll(/title="Timeline of request ([^"]+)" data-testid="timeline-link"/g)].map((m) => m[1]));
    const mi = await request(rig.app).get('/audit').query({ actingIdentity: MI }).set(as('auditor')).expect(200);
    expect(requestsOf(mi.text)).toEqual(new Set([MI_REQUEST, LEGACY_CONSENT_REQUEST, CONSENT_REQUEST]));
    expect(mi.text).toContain(`${MI} (managed identity, recorded as ${MI_PRINCIPAL})`);
    const obo = await request(rig.app).get('/audit').query({ actingIdentity: APPROVER.oid }).set(as('auditor')).expect(200);
    expect(requestsOf(obo.text)).toEqual(new Set([OBO_REQUEST]));
    expect(obo.text).toContain(`${APPROVER.oid} (OBO)`);
  });

  it('escapes hostile agent text on every page, and serves no script', async () => {
    const pages = [`/audit`, `/audit/requests/req-hostile-5`, `/audit/entries/${(await rig.module.query.page({ requestId: 'req-hostile-5' })).entries[0]!.seq}`, '/audit/overview'];
    for (const path of pages) {
      const res = await request(rig.app).get(path).set(as('auditor')).expect(200);
      // The only script is the layout's same-origin local-time file.
      expect(res.text.match(/<script[^>]*>/gi)).toEqual(['<script src="/static/js/local-time.js" defer>']);
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      if (path !== '/audit/overview') expect(res.text).toContain('&lt;script&gt;');
    }
  });

  it('draws the overview as server-side SVG with per-outcome totals and the top elevated actions', async () => {
    const res = await request(rig.app).get('/audit/overview').set(as('auditor')).expect(200);
    expect(res.text).toContain('<svg class="audit-chart"');
    expect(res.text).not.toMatch(/style=/);
    const totals = Object.fromEntries([...res.text.matchAll(/<li data-category="([a-z-]+)">[^]*?<strong>(\d+)<\/strong>/g)].map((m) => [m[1], Number(m[2])]));
    // A direct execution and two consented writes (one recorded before 011) ran with the managed identity; one elevation with OBO.
    expect(totals).toEqual({ 'executed-mi': 3, 'executed-obo': 1, denied: 1, expired: 1, forbidden: 1 });
    expect(res.text).toContain(`>${DEALLOCATE}</a></td><td>2</td>`);
    expect(res.text).toContain('&lt;script&gt;'); // the hostile action, ranked and escaped
  });

  it('exports the filtered view with a trailer', async () => {
    const res = await request(rig.app).get('/audit/export').query({ requestId: OBO_REQUEST, format: 'jsonl' }).set(as('auditor')).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="elevate-audit-.*\.jsonl"$/);
    const lines = res.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(9);
    expect(lines[8]).toMatchObject({ trailer: { entries: 8, lastSeq: 1 } });
    await request(rig.app).get('/audit/export').query({ format: 'xml' }).set(as('auditor')).expect(400);
  });

  it('runs verification on POST with a CSRF token, and reports the first break after tampering', async () => {
    await request(rig.app).post('/audit/verify').set(as('auditor')).type('form').send({}).expect(403);
    const ok = await request(rig.app).post('/audit/verify').set(as('auditor')).type('form').send({ _csrf: CSRF }).expect(200);
    expect(ok.text).toContain('data-ok="true"');
    expect(ok.text).toMatch(/data-testid="entries-checked">\d+</);
    await request(rig.app).post('/audit/verify').set(as('standard')).type('form').send({ _csrf: CSRF }).expect(403);

    await dropGuards(rig.db);
    await rig.db.run(`UPDATE audit_log SET outcome = 'denied' WHERE seq = 4`);
    const broken = await request(rig.app).post('/audit/verify').set(as('auditor')).type('form').send({ _csrf: CSRF }).expect(409);
    expect(broken.text).toContain('data-ok="false"');
    expect(broken.text).toContain('seq 4, changed');
    // The GET page shows the last result.
    expect((await request(rig.app).get('/audit/verify').set(as('auditor')).expect(200)).text).toContain('seq 4, changed');
  });
});
