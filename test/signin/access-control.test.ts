import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserLikeClient } from './support/browser-like-client.ts';
import { signInAs } from './support/sign-in-steps.ts';
import { startHarness, type Harness } from './support/signin-harness.ts';
import { sandboxUnderTest, seededUsers } from './support/sandbox-under-test.ts';

/**
 * The access matrix on representative routes, with real sign-ins: every route checks the role
 * on the server, whatever the page shows, and the refusal names the role that would do.
 */

const sandbox = sandboxUnderTest();
const users = seededUsers(sandbox);
let h: Harness;
const clients = new Map<string, BrowserLikeClient>();

beforeAll(async () => {
  h = await startHarness(sandbox);
  for (const [name, user] of Object.entries({ admin: users.admin, standard: users.standard, reader: users.reader, auditor: users.auditor })) {
    const client = new BrowserLikeClient();
    expect((await signInAs(client, h.url, user.oid)).status).toBe(303);
    clients.set(name, client);
  }
});
afterAll(async () => {
  await h?.close();
});

function as(name: string): BrowserLikeClient {
  return clients.get(name)!;
}

async function csrf(client: BrowserLikeClient): Promise<string> {
  return (JSON.parse((await client.get(`${h.url}/probe/form`)).body) as { csrfToken: string }).csrfToken;
}

describe('access matrix', () => {
  it('lets the administrator approve (with the form token)', async () => {
    const answer = await as('admin').post(`${h.url}/probe/approvals/req-1/approve`, { _csrf: await csrf(as('admin')) });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('approved');
  });

  it('refuses an approval POST without the CSRF token, even from the administrator', async () => {
    const answer = await as('admin').post(`${h.url}/probe/approvals/req-1/approve`, { decision: 'approve' });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('did not come from Elevate');
  });

  it('refuses an approval POST carrying another session\'s token', async () => {
    const answer = await as('admin').post(`${h.url}/probe/approvals/req-1/approve`, { _csrf: await csrf(as('standard')) });
    expect(answer.status).toBe(403);
  });

  it('refuses the Auditor an approval and names the role needed', async () => {
    const answer = await as('auditor').post(`${h.url}/probe/approvals/req-1/approve`, { _csrf: await csrf(as('auditor')) });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('Approving requests needs the SRE Agent Administrator role.');
    expect(answer.body).toContain('Your roles: Auditor');
  });

  it('refuses the Standard User an admin-only POST and names the role needed', async () => {
    const answer = await as('standard').post(`${h.url}/probe/agents`, { _csrf: await csrf(as('standard')) });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('Managing agents needs the SRE Agent Administrator role.');
  });

  it('refuses the Standard User the audit log, in HTML for pages and JSON for the API', async () => {
    const page = await as('standard').get(`${h.url}/probe/audit`);
    expect(page.status).toBe(403);
    expect(page.body).toContain('Viewing the audit log needs the SRE Agent Administrator or Auditor role.');
    const api = await as('standard').get(`${h.url}/api/probe/audit`);
    expect(api.status).toBe(403);
    expect(api.headers.get('content-type')).toMatch(/application\/json/);
    expect(JSON.parse(api.body)).toEqual({ error: 'forbidden', message: 'Viewing the audit log needs the SRE Agent Administrator or Auditor role.' });
  });

  it('lets the Auditor and the administrator read the audit log', async () => {
    expect((await as('auditor').get(`${h.url}/probe/audit`)).status).toBe(200);
    expect((await as('admin').get(`${h.url}/api/probe/audit`)).status).toBe(200);
  });

  it('lets the Reader view requests but not approve', async () => {
    expect((await as('reader').get(`${h.url}/probe/requests`)).status).toBe(200);
    const answer = await as('reader').post(`${h.url}/probe/approvals/req-1/approve`, { _csrf: await csrf(as('reader')) });
    expect(answer.status).toBe(403);
  });

  it('sends an anonymous page view to sign-in and answers an anonymous API call with 401 JSON', async () => {
    const anonymous = new BrowserLikeClient();
    const page = await anonymous.get(`${h.url}/probe/audit`);
    expect(page.status).toBe(303);
    expect(page.location).toBe(`${h.url}/auth/signin?returnTo=%2Fprobe%2Faudit`);
    const api = await anonymous.get(`${h.url}/api/probe/audit`);
    expect(api.status).toBe(401);
    expect(JSON.parse(api.body)).toMatchObject({ error: 'unauthenticated' });
  });

  it('refuses an anonymous POST (no session, so no valid CSRF token) and changes nothing', async () => {
    const anonymous = new BrowserLikeClient();
    const answer = await anonymous.post(`${h.url}/probe/approvals/req-1/approve`, { _csrf: 'x' });
    expect(answer.status).toBe(403);
  });

  it('shows the signed-in user with role names to templates, not raw claims', async () => {
    const { user } = JSON.parse((await as('auditor').get(`${h.url}/probe/form`)).body) as { user: Record<string, unknown> };
    expect(user).toEqual({ name: users.auditor.displayName, upn: users.auditor.upn, oid: users.auditor.oid, roleNames: ['Auditor'] });
  });
});
