import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.ts';
import type { AuditInput } from '../../src/audit/audit-types.ts';
import { createAgentRegistry, type AgentRegistry, type ResourceGroupVerifier } from '../../src/agents/agent-registry.ts';
import { AgentConflictError, AgentInputError, AgentNotFoundError } from '../../src/agents/agent-types.ts';
import type { Database } from '../../src/store/database.ts';
import { openTestStore } from '../support/test-store.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OTHER_TENANT_SUB = '99999999-9999-4999-8999-999999999999';
const SUB = '11111111-1111-4111-8111-111111111111';
const RG1 = `/subscriptions/${SUB}/resourceGroups/rg-one`;
const RG2 = `/subscriptions/${SUB}/resourceGroups/rg-two`;
const admin = { kind: 'user' as const, id: 'admin-oid', name: 'Admin' };
const input = {
  name: 'sre-agent',
  uamiClientId: 'AAAAAAAA-0000-4000-8000-000000000001',
  uamiPrincipalId: 'aaaaaaaa-0000-4000-8000-000000000002',
  level: 'Reader',
  resourceGroupIds: [RG1],
};

let dir: string;
let db: Database;
let audit: AuditLog;
let registry: AgentRegistry;
const verified: string[] = [];
const verifier: ResourceGroupVerifier = {
  async verify(ref, tenantId) {
    verified.push(ref.id);
    expect(tenantId).toBe(TENANT);
    if (ref.subscriptionId === OTHER_TENANT_SUB) throw new AgentInputError(`resource group ${ref.id}: subscription ${OTHER_TENANT_SUB} is not in tenant ${TENANT}`);
  },
};

const entries = async () => (await audit.list({}, { limit: 100 })).entries.reverse();

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elevate-agents-'));
  db = await openTestStore(join(dir, 'e.db'));
  audit = createAuditLog(db);
  verified.length = 0;
  registry = createAgentRegistry({ db, audit, verifier, tenantId: TENANT });
});

afterEach(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('agent registry', () => {
  it('creates an agent with canonical ids and audits it with before and after', async () => {
    const agent = await registry.create(input, admin);
    expect(agent).toMatchObject({
      name: 'sre-agent',
      uamiClientId: 'aaaaaaaa-0000-4000-8000-000000000001',
      tenantId: TENANT,
      level: 'Reader',
      runModeCeiling: 'Review',
      resourceGroupIds: [RG1],
    });
    expect(await registry.get('SRE-AGENT')).toEqual(agent);
    expect(await registry.get(agent.id)).toEqual(agent);
    const [e] = await entries();
    expect(e).toMatchObject({ eventType: 'agent.created', agentId: agent.id, actor: { kind: 'user', id: 'admin-oid', name: 'Admin' } });
    expect(e!.details).toMatchObject({ before: null, after: { name: 'sre-agent', level: 'Reader', resourceGroupIds: [RG1] } });
  });

  it('changes level, run-mode ceiling and groups, each audited with before and after', async () => {
    const a = await registry.create(input, admin);
    await registry.setLevel(a.name, 'Privileged', admin);
    await registry.setRunModeCeiling(a.name, 'Autonomous', admin);
    await registry.addResourceGroup(a.name, `/SUBSCRIPTIONS/${SUB.toUpperCase()}/resourcegroups/rg-two/`, admin);
    const after = await registry.removeResourceGroup(a.name, RG1, admin);
    expect(after).toMatchObject({ level: 'Privileged', runModeCeiling: 'Autonomous', resourceGroupIds: [RG2] });
    const log = await entries();
    expect(log.map((e) => e.eventType)).toEqual(['agent.created', 'agent.level-changed', 'agent.run-mode-ceiling-changed', 'agent.resource-group-added', 'agent.resource-group-removed']);
    expect(log[1]!.details).toMatchObject({ before: { level: 'Reader' }, after: { level: 'Privileged' } });
    expect(log[3]!.details).toMatchObject({ resourceGroupId: RG2, before: { resourceGroupIds: [RG1] }, after: { resourceGroupIds: [RG1, RG2] } });
    expect(log[4]!.details).toMatchObject({ before: { resourceGroupIds: [RG1, RG2] }, after: { resourceGroupIds: [RG2] } });
    expect(await registry.releasedResourceGroups(a.id)).toEqual([RG1]);
    await registry.addResourceGroup(a.name, RG1, admin);
    expect(await registry.releasedResourceGroups(a.id)).toEqual([]);
    // setting what is already set changes nothing and audits nothing
    await registry.setLevel(a.name, 'Privileged', admin);
    expect((await entries()).length).toBe(6);
  });

  it.each([
    [{ ...input, name: '../etc' }, /^name "\.\.\/etc": expected 1-63 letters/],
    [{ ...input, name: 'x'.repeat(64) }, /^name/],
    [{ ...input, uamiClientId: 'not-a-guid' }, /^UAMI client id "not-a-guid": expected a GUID/],
    [{ ...input, uamiPrincipalId: "'; DROP TABLE agents; --" }, /^UAMI principal id/],
    [{ ...input, level: 'Admin' }, /^level "Admin": not a level in the policy; expected Reader or Privileged$/],
    [{ ...input, level: 'reader' }, /^level "reader"/],
    [{ ...input, runModeCeiling: 'YOLO' }, /^run-mode ceiling "YOLO": expected ReadOnly, Review, Autonomous$/],
    [{ ...input, tenantId: '00000000-0000-4000-8000-000000000000' }, /is not the tenant Elevate is configured for/],
    [{ ...input, resourceGroupIds: ['/subscriptions/x/resourceGroups/rg'] }, /subscription id must be a GUID/],
    [{ ...input, resourceGroupIds: [`/subscriptions/${SUB}/resourceGroups/rg/../../other`] }, /is malformed/],
    [{ ...input, resourceGroupIds: [`/subscriptions/${SUB}/resourceGroups/rg%2F..`] }, /resource group name must be/],
    [{ ...input, resourceGroupIds: [RG1, RG1.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/')] }, /listed twice/],
    [{ ...input, resourceGroupIds: 'rg-one' }, /expected a list/],
    [{ ...input, resourceGroupIds: [`/subscriptions/${OTHER_TENANT_SUB}/resourceGroups/rg`] }, /is not in tenant/],
  ])('refuses bad input %#, stores and audits nothing', async (bad, message) => {
    await expect(registry.create(bad as typeof input, admin)).rejects.toThrow(message);
    await expect(registry.create(bad as typeof input, admin)).rejects.toBeInstanceOf(AgentInputError);
    expect(await registry.list()).toEqual([]);
    expect(await entries()).toEqual([]);
  });

  it('refuses duplicates by name or identity, and unknown agents by name', async () => {
    await registry.create(input, admin);
    await expect(registry.create({ ...input, uamiClientId: '0e2d5f3c-7a41-4a9b-9a0e-2c6f4b1d8e7a', uamiPrincipalId: '0e2d5f3c-7a41-4a9b-9a0e-2c6f4b1d8e7b' }, admin)).rejects.toThrow(
      "an agent named 'sre-agent' already exists",
    );
    await expect(registry.create({ ...input, name: 'other', uamiPrincipalId: input.uamiPrincipalId.toUpperCase() }, admin)).rejects.toBeInstanceOf(AgentConflictError);
    await expect(registry.get('nobody')).rejects.toThrow('unknown agent "nobody"');
    await expect(registry.setLevel('nobody', 'Reader', admin)).rejects.toBeInstanceOf(AgentNotFoundError);
    await expect(registry.addResourceGroup('sre-agent', RG1, admin)).rejects.toThrow(`already manages ${RG1}`);
    await expect(registry.removeResourceGroup('sre-agent', RG2, admin)).rejects.toThrow(`does not manage ${RG2}`);
    await expect(registry.addResourceGroup('sre-agent', `/subscriptions/${OTHER_TENANT_SUB}/resourceGroups/x`, admin)).rejects.toThrow(/not in tenant/);
    expect((await entries()).length).toBe(1);
  });

  it('changes nothing when the audit log cannot record the change', async () => {
    const a = await registry.create(input, admin);
    const failing = createAgentRegistry({
      db,
      audit: { append: async (_: AuditInput) => Promise.reject(new Error('audit entry rejected: disk full')) },
      verifier,
      tenantId: TENANT,
    });
    await expect(failing.setLevel(a.id, 'Privileged', admin)).rejects.toThrow('disk full');
    await expect(failing.addResourceGroup(a.id, RG2, admin)).rejects.toThrow('disk full');
    await expect(failing.create({ ...input, name: 'b', uamiClientId: '0e2d5f3c-7a41-4a9b-9a0e-2c6f4b1d8e7a', uamiPrincipalId: '0e2d5f3c-7a41-4a9b-9a0e-2c6f4b1d8e7b' }, admin)).rejects.toThrow('disk full');
    expect(await registry.list()).toEqual([a]);
  });

  it('refuses a change when the agent changed between read and write', async () => {
    const a = await registry.create(input, admin);
    const racing = createAgentRegistry({
      db,
      audit: {
        async append(entry: AuditInput) {
          await db.run('UPDATE agents SET updated_at = ? WHERE id = ?', ['2999-01-01T00:00:00.000Z', a.id]);
          return audit.append(entry);
        },
      },
      verifier,
      tenantId: TENANT,
    });
    await expect(racing.setLevel(a.id, 'Privileged', admin)).rejects.toThrow(/changed by someone else meanwhile; nothing was changed/);
    expect((await registry.get(a.id)).level).toBe('Reader');
    const log = await entries();
    expect(log.at(-1)).toMatchObject({ eventType: 'agent.level-changed-failed', outcome: 'failed' });
  });
});
