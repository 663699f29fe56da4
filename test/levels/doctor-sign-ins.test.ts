import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.ts';
import { gatherSignInFacts } from '../../src/levels/doctor-sign-ins.ts';
import type { SessionUser } from '../../src/sessions/session-data.ts';
import { completedSignInEntry, signedOutEntry } from '../../src/signin/sign-in-audit.ts';
import type { Database } from '../../src/store/database.ts';
import { openTestStore } from '../support/test-store.ts';

const user = (authTime: number | null): SessionUser => ({ oid: '60ca6263-4c86-46fc-b376-b14ef1e7ff91', tid: '26d07dfe-13eb-44c6-bbdf-5d359fd60c0c', upn: 'ada@contoso.example', name: 'Ada', roles: ['administrator'], authTime, signedInAt: 1 });

describe('gatherSignInFacts', () => {
  let db: Database;
  let audit: AuditLog;
  beforeAll(async () => {
    db = await openTestStore();
    audit = createAuditLog(db);
  });
  afterAll(async () => {
    await db.close();
  });

  it('counts recorded sign-ins and those whose ID token had auth_time, ignoring other events', async () => {
    expect(await gatherSignInFacts(audit)).toEqual({ examined: 0, withAuthTime: 0 });
    await audit.append(completedSignInEntry(user(null), { promptedLogin: false }));
    await audit.append(completedSignInEntry(user(1_700_000_000), { promptedLogin: true }));
    await audit.append(signedOutEntry(user(null), 'user'));
    const facts = await gatherSignInFacts(audit);
    expect(facts).toMatchObject({ examined: 2, withAuthTime: 1 });
    expect(Date.parse(facts.latestAt!)).toBeGreaterThan(0);
  });
});
