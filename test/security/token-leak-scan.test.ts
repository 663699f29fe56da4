/**
 * No token is ever stored or logged. Self-contained, so it does not matter when vitest schedules
 * it: it drives its own service (private sandbox, file database, captured logs) through the flows
 * that handle tokens — elevations that succeed, fail at ARM, meet an Entra claims challenge and a
 * stale sign-in, a replayed callback, consent and denial, agent API calls — recording every token
 * that reached the process. Then it scans every stored row (either engine: test/support/stored-text.ts),
 * the sessions table and every log line for anything JWT-shaped, refresh-token-shaped, or equal
 * to a token it saw; on SQLite also the files themselves (main, -wal, -shm), which keep freed
 * pages and old row versions that no query returns.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OboExchangeError } from '../../src/azure/obo-error.ts';
import { startApprovalHarness, type ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { afterCallback, approveElevation, approveUntilCallback, postDecision, restartCheckout, restartPayments } from '../approvals/support/approval-steps.ts';
import { findTokens, installTokenTap, type TokenTap } from '../approvals/support/token-tap.ts';
import { BrowserLikeClient } from '../signin/support/browser-like-client.ts';
import { authorizeAs, refusalPage } from '../signin/support/sign-in-steps.ts';
import { fakeJwt } from '../support/fake-jwt.ts';
import { startFullService } from '../support/full-service.ts';
import { storedText } from '../support/stored-text.ts';
import { openTestStore, testStoreKind } from '../support/test-store.ts';

let tap: TokenTap;
let h: ApprovalHarness;
let closed = false;

beforeAll(async () => {
  tap = installTokenTap();
  h = await startApprovalHarness();
}, 60_000);

afterAll(async () => {
  tap?.restore();
  if (!closed) await h?.close();
});

const fileText = (path: string) => (existsSync(path) ? readFileSync(path).toString('latin1') : '');
/** Whether the store is a SQLite file whose bytes can be scanned too (on PostgreSQL the lane's server holds the data). */
const onFile = () => testStoreKind() === 'sqlite';

describe('token leak scan', { timeout: 120_000 }, () => {
  it('finds what it is looking for (the scanner itself works)', () => {
    const jwt = fakeJwt({ sub: 'x' });
    expect(findTokens(`x ${jwt} y`, [])).toHaveLength(1);
    expect(findTokens('rt 0.AXoA' + 'b'.repeat(60), [])).toHaveLength(1);
    expect(findTokens('opaque-refresh-token-value-1234567890', [{ kind: 'refresh_token', value: 'opaque-refresh-token-value-1234567890' }])).toHaveLength(1);
    expect(findTokens('nothing here', [{ kind: 'access_token', value: jwt }])).toEqual([]);
  });

  it('finds a token planted in a stored row, as text or as bytes (the stored-rows dump works on this engine)', async () => {
    const db = await openTestStore(':memory:', 'elevate_leakscan');
    try {
      const jwt = fakeJwt({ sub: 'planted' });
      await db.run('INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)', ['planted', JSON.stringify({ jwt }), 9_999_999_999]);
      expect(findTokens(await storedText(db), [])).toHaveLength(1);
      await db.run('DELETE FROM sessions');
      // A bytes column: BYTEA on PostgreSQL (db.path is its URL there), BLOB on SQLite.
      await db.exec(`CREATE TABLE planted_bytes (b ${db.path.startsWith('postgres') ? 'BYTEA' : 'BLOB'})`);
      await db.run('INSERT INTO planted_bytes (b) VALUES (?)', [Buffer.from(jwt)]);
      expect(findTokens(await storedText(db), [])).toHaveLength(1);
    } finally {
      await db.close();
    }
  });

  it('leaves no token in the databases, the session rows or the logs after every token-handling flow', async () => {
    const admin = await h.signedIn('admin');
    const admin2 = await h.signedIn('admin2');
    const admin3 = await h.signedIn('admin3');

    // Elevation that runs.
    const ok = await h.submit(h.readerAgent, restartCheckout(h));
    expect((await approveElevation(admin, h, ok.id, 'admin')).callback.location).toContain('done=executed');
    // Elevation ARM refuses (the approver's own permissions).
    const refused = await h.submit(h.readerAgent, restartCheckout(h));
    await approveElevation(admin3, h, refused.id, 'admin3');
    expect((await h.agentGet(h.readerAgent, refused.id)).state).toBe('failed');
    // Elevation through a claims challenge (the token Entra refused is discarded, a new one used).
    const challenged = await h.submit(h.readerAgent, restartCheckout(h));
    let calls = 0;
    h.replaceExchange(async (real, assertion) => {
      calls += 1;
      if (calls === 1) throw new OboExchangeError('interaction_required', '50076', '{"access_token":{"capolids":{"essential":true,"values":["x"]}}}');
      return real(assertion);
    });
    try {
      const { callbackUrl } = await approveUntilCallback(admin2, h, challenged.id, 'admin2');
      const first = await admin2.get(callbackUrl);
      const { pickAccount } = await import('../signin/support/sign-in-steps.ts');
      const second = await admin2.get(await pickAccount(admin2, first.location!, h.user('admin2').oid));
      expect(second.location).toContain('done=executed');
    } finally {
      h.replaceExchange(undefined);
    }
    // A stale sign-in and a replayed callback (refusals that hold a delegated token in hand).
    const stale = await h.submit(h.readerAgent, restartCheckout(h));
    const s = await approveUntilCallback(admin, h, stale.id, 'admin');
    h.skewApprovalClock(3600);
    try {
      expect((await afterCallback(admin, await admin.get(s.callbackUrl))).status).toBe(403);
    } finally {
      h.skewApprovalClock(0);
    }
    expect((await afterCallback(admin, await admin.get(s.callbackUrl))).status).toBe(400);
    // Consent and denial.
    const consent = await h.submit(h.privilegedAgent, restartPayments(h));
    expect((await postDecision(admin, h, consent.id, 'approve', 'ok')).location).toContain('done=executed');
    const denied = await h.submit(h.readerAgent, restartCheckout(h));
    expect((await postDecision(admin2, h, denied.id, 'deny', 'no')).location).toContain('done=denied');
    await h.agentGet(h.readerAgent, denied.id, 1);

    const seen = tap.tokens();
    // The scan is only as good as what it knows: ID tokens, delegated API tokens, OBO ARM tokens,
    // managed-identity tokens all passed through this process.
    expect(seen.filter((t) => t.kind === 'id_token').length).toBeGreaterThanOrEqual(6);
    expect(seen.filter((t) => t.kind === 'access_token').length).toBeGreaterThanOrEqual(8);
    // MSAL asks for offline_access with the on-behalf-of grant: refresh tokens arrive, and must go.
    expect(seen.filter((t) => t.kind === 'refresh_token').length).toBeGreaterThanOrEqual(1);

    const sessions = JSON.stringify(await h.db.all('SELECT * FROM sessions'));
    expect(sessions.length).toBeGreaterThan(100);
    const logs = h.logs.join('');
    expect(logs).toContain('"msg":"ARM request"');
    expect(logs).toContain('"route":"/auth/callback"');
    const stored = await storedText(h.db);
    expect(stored.length).toBeGreaterThan(10_000);
    expect(stored).toContain('token.discarded');

    const leaks: Record<string, string[]> = {
      'stored rows': findTokens(stored, seen),
      'sessions table': findTokens(sessions, seen),
      logs: findTokens(logs, seen),
    };
    const expected: Record<string, string[]> = { 'stored rows': [], 'sessions table': [], logs: [] };
    if (onFile()) {
      const openFiles = { db: fileText(h.dbPath), wal: fileText(`${h.dbPath}-wal`), shm: fileText(`${h.dbPath}-shm`) };
      expect(openFiles.db + openFiles.wal).toContain('token.discarded');
      leaks['elevate.db'] = findTokens(openFiles.db, seen);
      leaks['elevate.db-wal'] = findTokens(openFiles.wal, seen);
      leaks['elevate.db-shm'] = findTokens(openFiles.shm, seen);
    }
    // After a clean close the WAL is folded into the main file: scan that too.
    await h.close();
    closed = true;
    if (onFile()) {
      leaks['elevate.db (closed)'] = findTokens(fileText(h.dbPath), seen);
      leaks['elevate.db-wal (closed)'] = findTokens(fileText(`${h.dbPath}-wal`), seen);
      Object.assign(expected, { 'elevate.db': [], 'elevate.db-wal': [], 'elevate.db-shm': [], 'elevate.db (closed)': [], 'elevate.db-wal (closed)': [] });
    }
    expect(leaks).toEqual(expected);
  });
});

/**
 * Issue 11 item 6: a refused callback (401/403) is audited as `http.refused`, which recorded the
 * full callback URL: the authorization code and state with it. The whole service (its 401/403
 * recorder included) takes refused sign-ins at the callback; neither value may reach the audit
 * log, the database files or the logs.
 */
describe('token leak scan: refused sign-in callbacks', { timeout: 120_000 }, () => {
  it('records no authorization code or state from a refused callback', async () => {
    const f = await startFullService();
    try {
      const sandbox = f.service.context.sandbox!;
      const oidOf = (key: string) => sandbox.tenant.users.find((u) => u.key === key)!.oid;
      const secrets: { kind: string; value: string }[] = [];
      for (const key of ['personal', 'guest']) {
        const client = new BrowserLikeClient();
        const { callbackUrl } = await authorizeAs(client, `${f.url}/auth/signin`, oidOf(key));
        const query = new URL(callbackUrl).searchParams;
        const code = query.get('code');
        const state = query.get('state');
        expect(code, callbackUrl).toBeTruthy();
        expect(state, callbackUrl).toBeTruthy();
        secrets.push({ kind: `authorization code (${key})`, value: code! }, { kind: `state (${key})`, value: state! });
        // refused: redirected to the stable refusal page (issue 12), which answers 403 without the query
        expect((await refusalPage(client, await client.get(callbackUrl))).status).toBe(403);
      }
      // The 401/403 recorder appends after the response has finished.
      const db = f.service.context.store;
      let refused: Array<{ details: string }> = [];
      for (let i = 0; i < 50 && refused.length === 0; i++) {
        refused = await db.all<{ details: string }>("SELECT details FROM audit_log WHERE event_type = 'http.refused'");
        if (refused.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      // The second refusal from the same address collapses into the first's window (counted, flushed later).
      expect(refused).toHaveLength(1);
      // The callback answers with a redirect; the refusal is recorded at the stable page, which
      // carries no query (a 401/403 at the callback itself is scrubbed: test/web/redacted-url.test.ts).
      expect(JSON.parse(refused[0]!.details).path).toBe('/auth/refused');

      const dbPath = f.service.context.config.dbPath;
      const records = { 'audit rows': JSON.stringify(await db.all('SELECT * FROM audit_log')), logs: f.logs.join('') };
      const files: Record<string, string> = { 'stored rows': await storedText(db) };
      if (onFile()) Object.assign(files, { 'elevate.db': fileText(dbPath), 'elevate.db-wal': fileText(`${dbPath}-wal`) });
      expect(records.logs).toContain('"route":"/auth/callback"');
      // Neither value in the audit log or the logs. The state lives in the sign-in's own session
      // row while the flow is open (that is how it is checked), so the stored rows (and the SQLite
      // files) are scanned for the code only: it is never stored anywhere.
      const codes = secrets.filter((x) => x.kind.startsWith('authorization code'));
      const leaks = {
        ...Object.fromEntries(Object.entries(records).map(([where, text]) => [where, findTokens(text, secrets)])),
        ...Object.fromEntries(Object.entries(files).map(([where, text]) => [where, findTokens(text, codes)])),
      };
      expect(leaks).toEqual({ 'audit rows': [], logs: [], ...Object.fromEntries(Object.keys(files).map((where) => [where, []])) });
    } finally {
      await f.close();
    }
  });
});
