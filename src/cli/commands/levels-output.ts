/**
 * Terminal renderings of plans, apply reports and doctor reports. Machine output is the JSON of
 * the same objects; these are for people.
 */
import type { DoctorReport } from '../../levels/doctor-checks.ts';
import type { ApplyReport } from '../../levels/apply-plan.ts';
import type { AgentPlan } from '../../levels/level-enforcer.ts';
import { printTable } from '../cli-output.ts';

const out = (s = '') => process.stdout.write(`${s}\n`);
const SAMPLE = 8;

export function printPlan(p: AgentPlan): void {
  const { plan } = p;
  out(`agent ${plan.agent.name}: ${plan.agent.level} level, UAMI principal ${plan.agent.principalId}, ${p.inventory.length} managed resource group(s)`);
  for (const inv of p.inventory) {
    out(`  ${inv.resourceGroupId}: ${inv.error ? `types unknown (${inv.error})` : `${inv.resourceCount} resource(s)${inv.resourceTypes.length ? `: ${inv.resourceTypes.join(', ')}` : ''}`}`);
  }
  if (p.releasedResourceGroups.length > 0) out(`  released, checked for leftovers: ${p.releasedResourceGroups.join(', ')}`);

  out(`\nto create (${plan.toCreate.length})`);
  if (plan.toCreate.length > 0) {
    printTable(
      plan.toCreate.map((d) => ({ role: d.roleName, scope: d.scope, why: d.reason.kind === 'preconfigured' ? 'preconfigured' : d.reason.resourceTypes.join(', ') })),
      ['role', 'scope', 'why'],
    );
  }
  out(`\nto delete (${plan.toDelete.length})`);
  if (plan.toDelete.length > 0) {
    printTable(plan.toDelete.map((d) => ({ role: d.roleName, scope: d.assignment.scope, why: d.reason })), ['role', 'scope', 'why']);
  }
  out(`\nin place (${plan.inPlace.length})`);
  out(`\ndrift (${plan.drift.length})`);
  for (const f of plan.drift) {
    out(`  ${f.message}`);
    const sample = f.added.operations.slice(0, SAMPLE);
    out(`    adds: ${sample.join(', ')}${f.added.total > SAMPLE ? `, ... (${f.added.total - SAMPLE} more; --output json lists all)` : ''}`);
    out(`    assignment: ${f.assignment.id}`);
  }
  out(`\neffective level: ${plan.effectiveLevel.message}`);
  for (const n of plan.notes) out(`note: ${n.scope}: ${n.message}`);
  out(plan.toCreate.length === 0 && plan.toDelete.length === 0 ? '\nnothing to change.' : `\n${plan.toCreate.length + plan.toDelete.length} change(s): run \`elevate apply --agent ${plan.agent.name}\``);
}

export function printApplyReport(r: ApplyReport): void {
  out(`agent ${r.agent.name}: ${r.changed} change(s), ${r.failed} failure(s)`);
  if (r.items.length > 0) {
    printTable(
      r.items.map((i) => ({ action: i.action, role: i.roleName, scope: i.scope, status: i.status, error: i.error ?? '' })),
      ['action', 'role', 'scope', 'status', 'error'],
    );
  }
  if (!r.ok) out('some assignments were not changed: fix the cause and run apply again (it retries only what is still missing).');
}

export function printDoctorReport(r: DoctorReport): void {
  out(`agent ${r.agent}: ${r.ok ? 'no problem found' : 'problems found'}`);
  for (const f of r.findings) {
    out(`  [${f.status.toUpperCase().padEnd(7)}] ${f.check}: ${f.summary}`);
    if (f.azureError) out(`            Azure: ${f.azureError}`);
    if (f.cause) out(`            cause: ${f.cause}`);
    if (f.fix) out(`            fix:   ${f.fix}`);
  }
}
