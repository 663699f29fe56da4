/**
 * What an administrator is told on the agent page when their decision on a raise is refused
 * because another one is being recorded on another instance: a 409 with the reason, and the
 * refusal on record (`level-raise.refused`, `changed_concurrently`), never a decision. The other
 * instance is stood in for by writing the raise as it stands between winning an approval and
 * appending its entry (support/raise-in-flight.ts); the races themselves are in
 * raise-decision-races.sandbox.test.ts. Nothing is granted meanwhile, and the service's own
 * sweeper ends the raise once that instance has had its grace. The CLI's answer:
 * raise-refused-decisions-cli.sqlite.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { APPROVAL_RECORDING_GRACE_MS } from '../../src/raises/raise-state-machine.ts';
import { createRaiseStore } from '../../src/raises/raise-store.ts';
import { startFullService, type FullService } from '../support/full-service.ts';
import { approvalInFlightElsewhere, IN_FLIGHT, refusalsOf } from './support/raise-in-flight.ts';
import { agentCall, raiseForm, testClock, until } from './support/raise-steps.ts';

describe('the agent page', { timeout: 90_000 }, () => {
  const clock = testClock();
  let fs: FullService;
  beforeAll(async () => {
    fs = await startFullService({ ELEVATE_RAISE_SWEEP_SECONDS: '1' }, { clock: clock.now });
  }, 60_000);
  afterAll(async () => {
    await fs?.close();
  });

  it('answers 409 with the reason to an approval and a deny while another instance records an approval; the sweeper ends the raise after the grace', async () => {
    const sb = fs.service.context.sandbox!;
    const rg = sb.tenant.resourceGroups.find((g) => g.name === 'rg-sre-apps')!.id;
    const asked = await agentCall(fs.url, await fs.agentToken(), 'POST', '/level-raises', {
      resourceGroupIds: [rg],
      targetLevel: 'Privileged',
      durationMinutes: 30,
      justification: 'INC-88: restarts needed',
      trigger: { kind: 'chat', ref: 'thread-88', requestedBy: 'sam.standard@contoso-sre.onmicrosoft.com' },
    });
    expect(asked.status, JSON.stringify(asked.json)).toBe(201);
    const id = asked.json.id as string;
    await approvalInFlightElsewhere(fs.service.context.store, id, clock.now());

    const user = (key: string) => sb.tenant.users.find((u) => u.key === key)!.oid;
    const approved = await raiseForm(await fs.signedIn('admin'), fs.url, sb.tenant.agent.name, `raises/${id}/approve`, { reason: 'restarts needed' });
    expect(approved.status).toBe(409);
    expect(approved.body).toContain(IN_FLIGHT);
    const denied = await raiseForm(await fs.signedIn('admin2'), fs.url, sb.tenant.agent.name, `raises/${id}/deny`);
    expect(denied.status).toBe(409);
    expect(denied.body).toContain(IN_FLIGHT);

    const record = await refusalsOf(fs.service.context.store, id);
    expect(record.decisions).toEqual([]);
    expect(record.refused).toMatchObject([
      { by: user('admin'), outcome: 'refused', decision: 'approve', code: 'changed_concurrently', message: IN_FLIGHT },
      { by: user('admin2'), outcome: 'refused', decision: 'deny', code: 'changed_concurrently', message: IN_FLIGHT },
    ]);

    // The service's sweeper (every second) leaves it to the recording instance for the grace, then ends it without a grant.
    clock.advance(APPROVAL_RECORDING_GRACE_MS / 1000 + 1);
    sb.clock.advance(APPROVAL_RECORDING_GRACE_MS / 1000 + 1);
    const ended = await until(() => createRaiseStore(fs.service.context.store).get(id), (r) => r.state === 'ended');
    expect(ended).toMatchObject({ state: 'ended', endReason: 'grant-failed', grants: [] });
    const failed = (await createAuditLog(fs.service.context.store).list({ requestId: id, eventType: 'level-raise.grant-failed' }, { limit: 5 })).entries;
    expect(failed).toMatchObject([{ actor: { kind: 'system' }, details: { code: 'approval_unconfirmed', error: expect.stringContaining('not confirmed on the audit record') } }]);
  });
});
