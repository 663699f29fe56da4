/**
 * Level raises as several instances of Elevate on one database see them: each instance its own
 * raise service (so its own per-raise locks), all over the levels sandbox's store (SQLite or
 * PostgreSQL, test/support/test-store.ts), audit log and ARM (the sandbox's PIM). Across
 * instances only the raise row's version-checked write decides, which is what the race tests need
 * to reach. An instance's store can be held at its first write (past its read: the decision's
 * compare-and-set) or fail a given write, and its audit log can hold or fail one event type; the
 * tests force each interleaving with these, never with timing.
 */
import type { AuditEntry, AuditInput } from '../../../src/audit/audit-types.ts';
import { createLevelArmClients } from '../../../src/levels/arm-level-clients.ts';
import { createArmRaiseGrantGateway, type RaiseGrantGateway } from '../../../src/raises/arm-raise-grants.ts';
import { createRaiseService, type RaiseApprover, type RaiseService } from '../../../src/raises/raise-service.ts';
import { createRaiseStore, type RaiseStore } from '../../../src/raises/raise-store.ts';
import type { LevelRaise } from '../../../src/raises/raise-types.ts';
import { loadBuiltinCatalog } from '../../../src/rbac/role-catalog.ts';
import { LV_UAMI, RG_LV_APPS, RG_LV_VMS, startLevelsSandbox, type LevelsSandbox } from '../../levels/levels-test-sandbox.ts';
import { testClock } from './raise-steps.ts';

const catalog = loadBuiltinCatalog();
export const AGENT = 'lv-race-agent';
/** The administrator who asks for the raises (four eyes: never one of their approvers). */
export const ASKER = { kind: 'user' as const, id: 'aaaaaaaa-0000-4000-8000-0000000000a0', name: 'sam.asker@contoso' };
export const ADA: RaiseApprover = { id: 'aaaaaaaa-0000-4000-8000-00000000000a', name: 'ada.admin@contoso' };
export const GRACE: RaiseApprover = { id: 'aaaaaaaa-0000-4000-8000-00000000000b', name: 'grace.admin@contoso' };
/** How long a raise waits for approval in these instances (ELEVATE_REQUEST_TTL_SECONDS). */
export const PENDING_TTL_SECONDS = 600;
export const DECISION_TYPES = ['level-raise.approved', 'level-raise.denied', 'level-raise.expired', 'level-raise.cancelled'];

export interface RaiseWorld {
  sb: LevelsSandbox;
  /** Elevate's clock (every instance's unless one is given its own); `advance` moves the sandbox's too. */
  now: () => Date;
  advance(seconds: number): void;
  /** Every grant that reached Azure (the sandbox's PIM answered it), as `role@scope`. */
  made: string[];
  /** Role assignments of the agent's identity on rg-lv-apps that were not there when the test began. */
  newAssignments(): string[];
  /** Marks now as the test's start (what newAssignments compares with) and forgets `made`. */
  begin(): void;
  close(): Promise<void>;
}

export async function startRaiseWorld(): Promise<RaiseWorld> {
  const clock = testClock();
  const sb = await startLevelsSandbox({ clock: clock.now });
  await sb.runtime.registry.create({ name: AGENT, uamiClientId: LV_UAMI.clientId, uamiPrincipalId: LV_UAMI.principalId, level: 'Reader', resourceGroupIds: [RG_LV_APPS, RG_LV_VMS] }, ASKER);
  await sb.runtime.enforcer.apply(AGENT, { actor: ASKER });
  const held = () => sb.handle.roleAssignmentsOf(LV_UAMI.principalId).filter((a) => a.scope.toLowerCase() === RG_LV_APPS.toLowerCase()).map((a) => a.id);
  let before = new Set(held());
  const made: string[] = [];
  return {
    sb,
    now: clock.now,
    advance(seconds) {
      clock.advance(seconds);
      sb.handle.clock.advance(seconds);
    },
    made,
    newAssignments: () => held().filter((id) => !before.has(id)),
    begin() {
      before = new Set(held());
      made.length = 0;
    },
    close: () => sb.close(),
  };
}

/** Resolves once `parties` callers have arrived: each waits for all of them. */
export function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const all = new Promise<void>((resolve) => (open = resolve));
  return () => {
    arrived += 1;
    if (arrived === parties) open();
    return all;
  };
}

/** A gate a caller waits at: `reached` settles when it arrived, `open()` lets it through. */
export function gate() {
  let arrived!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    reached,
    open,
    wait: () => {
      arrived();
      return opened;
    },
  };
}

export interface InstanceOptions {
  /** Awaited before this instance's first raise write goes to the store (it has read the raise by then). */
  beforeFirstWrite?: () => Promise<void>;
  /** The n-th raise write of this instance (1-based) fails, as a store that refuses a write. */
  failWrite?: number;
  /** Replaces the append of entries of this event type (hold it, fail it, or let it through with `append`). */
  onAppend?: { eventType: string; run: (input: AuditInput, append: (input: AuditInput) => Promise<unknown>) => Promise<unknown> };
  approversRequired?: number;
  clock?: () => Date;
}

/** One instance of Elevate's raise service over the world's database, audit log and ARM. */
export function raiseInstance(w: RaiseWorld, options: InstanceOptions = {}): RaiseService {
  const gateway = createArmRaiseGrantGateway(createLevelArmClients(w.sb.governance, w.sb.endpoints));
  const counted: RaiseGrantGateway = {
    ...gateway,
    async grant(mode, g, window) {
      const made = await gateway.grant(mode, g, window);
      w.made.push(`${g.roleName}@${g.scope}`);
      return made;
    },
  };
  const append = (input: AuditInput) => w.sb.audit.append(input);
  return createRaiseService({
    store: instanceStore(createRaiseStore(w.sb.db), options),
    agents: w.sb.runtime.registry,
    inventory: w.sb.runtime.inventory,
    policies: { levels: w.sb.policies.levels, approvals: { levelRaise: { requesterMayApprove: false, approversRequired: options.approversRequired ?? 1, maxDurationMinutes: 480 } } },
    catalog: catalog.roles,
    gateway: counted,
    audit: { append: (input) => (options.onAppend?.eventType === input.eventType ? options.onAppend.run(input, append) : append(input)) },
    clock: options.clock ?? w.now,
    pendingTtlSeconds: PENDING_TTL_SECONDS,
  });
}

/** The store, its raise writes (either kind) counted, held or failed as `options` say. */
function instanceStore(store: RaiseStore, options: InstanceOptions): RaiseStore {
  let writes = 0;
  const write = async () => {
    writes += 1;
    if (writes === 1) await options.beforeFirstWrite?.();
    if (writes === options.failWrite) throw new Error('SQLITE_IOERR: disk I/O error (the store refused this write)');
  };
  return {
    ...store,
    update: async (next) => (await write(), store.update(next)),
    updateUnlessClashing: async (next, clash) => (await write(), store.updateUnlessClashing(next, clash)),
  };
}

export const askForRaise = (s: RaiseService): Promise<LevelRaise> =>
  s.request(AGENT, { resourceGroupIds: [RG_LV_APPS], targetLevel: 'Privileged', durationMinutes: 60, justification: 'INC-77: checkout revisions crash-looping' }, ASKER);

/** What the audit log holds for the raise, oldest first. */
export async function recordOf(w: RaiseWorld, raiseId: string) {
  const entries: AuditEntry[] = [...(await w.sb.audit.list({ requestId: raiseId }, { limit: 200 })).entries].reverse();
  return {
    types: entries.map((e) => e.eventType),
    decisions: entries.filter((e) => DECISION_TYPES.includes(e.eventType)).map((e) => ({ type: e.eventType, by: e.actor.id })),
    refused: entries.filter((e) => e.eventType === 'level-raise.refused').map((e) => ({ by: e.actor.id, ...(e.details as { decision?: string; code?: string }) })),
    entries,
  };
}

/**
 * Leaves no raise of the test agent open (the next test asks for one on the same group) and its
 * grants gone; a raise left waiting for its approval to be recorded is past the sweeper's grace.
 */
export async function closeOpenRaises(w: RaiseWorld, graceSeconds: number): Promise<void> {
  const s = raiseInstance(w);
  const agent = await w.sb.runtime.registry.get(AGENT);
  for (let pass = 0; pass < 5; pass++) {
    const open = (await s.listByAgent(agent.id)).filter((r) => ['pending', 'granting', 'active', 'revoking'].includes(r.state));
    if (open.length === 0) return;
    for (const r of open) {
      if (r.state === 'pending') await s.deny(r.id, GRACE, 'test over').catch(() => undefined);
      if (r.state === 'active' || r.state === 'granting') await s.end(r.id, GRACE).catch(() => undefined);
    }
    w.advance(graceSeconds + 1);
    await s.sweep();
  }
  throw new Error('a raise of the test agent is still open');
}
