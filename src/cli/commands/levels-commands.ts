/**
 * `elevate plan`, `elevate apply`, `elevate doctor`: enforce each agent's level on Azure with
 * Elevate's governance credential. In sandbox mode they talk to the sandbox of a running
 * `elevate serve` (configured ports).
 */
import { createInterface } from 'node:readline/promises';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { AgentPlan } from '../../levels/level-enforcer.ts';
import type { InventoryProgress } from '../../levels/inventory-service.ts';
import { CliError, outputOption, printJson, type OutputFormat } from '../cli-output.ts';
import { asCliError, openLevelsContext, reexecForSandboxTrust, type CliLevelsContext } from './levels-cli-context.ts';
import { printApplyReport, printDoctorReport, printPlan } from './levels-output.ts';

interface PlanFlags {
  agent?: string;
  output: OutputFormat;
}

interface ApplyFlags extends PlanFlags {
  yes?: boolean;
  removeDrift?: boolean;
}

/** A progress bar on stderr when it is a terminal; silent otherwise. */
function progressBar(label: string) {
  if (!process.stderr.isTTY) return undefined;
  return new cliProgress.SingleBar({ stream: process.stderr, clearOnComplete: true, format: `${label} [{bar}] {value}/{total}` }, cliProgress.Presets.shades_classic);
}

function inventoryProgress() {
  const bar = progressBar('inventory');
  let started = false;
  return {
    onInventoryProgress: (p: InventoryProgress) => {
      if (!bar) return;
      if (!started) {
        bar.start(p.total, 0);
        started = true;
      }
      bar.update(p.done);
    },
    stop: () => {
      if (started) bar?.stop();
      started = false;
    },
  };
}

async function run(fn: (ctx: CliLevelsContext) => Promise<void>): Promise<void> {
  if (await reexecForSandboxTrust()) return;
  const ctx = await openLevelsContext();
  try {
    await fn(ctx).catch(asCliError);
  } finally {
    await ctx.close();
  }
}

async function agentRefs(ctx: CliLevelsContext, one: string | undefined): Promise<string[]> {
  if (one !== undefined) return [(await ctx.registry.get(one)).id];
  const all = await ctx.registry.list();
  if (all.length === 0) throw new CliError('no agent is registered: add one with `elevate agents create`');
  return all.map((a) => a.id);
}

async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function registerLevelsCommands(program: Command): void {
  program
    .command('plan')
    .description("Show the role assignments each agent's level needs, what to create and delete, and drift (changes nothing)")
    .option('--agent <agent>', 'only this agent (name or id); default: every agent')
    .addOption(outputOption())
    .action((flags: PlanFlags) =>
      run(async (ctx) => {
        const plans: AgentPlan[] = [];
        for (const ref of await agentRefs(ctx, flags.agent)) {
          const progress = inventoryProgress();
          try {
            plans.push(await ctx.runtime.enforcer.plan(ref, { refreshInventory: true, onInventoryProgress: progress.onInventoryProgress }));
          } finally {
            progress.stop();
          }
        }
        if (flags.output === 'json') return printJson(flags.agent !== undefined ? plans[0] : plans);
        plans.forEach((p, i) => {
          if (i > 0) process.stdout.write('\n');
          printPlan(p);
        });
      }),
    );

  program
    .command('apply')
    .description("Create and delete role assignments so each agent's UAMI holds exactly its level (asks first unless --yes)")
    .option('--agent <agent>', 'only this agent (name or id); default: every agent')
    .option('--yes', 'apply without asking (required when not on a terminal)')
    .option('--remove-drift', 'also delete assignments made outside Elevate that exceed the level (never those made to groups)')
    .addOption(outputOption())
    .action((flags: ApplyFlags) => {
      const interactive = process.stdin.isTTY === true && process.stderr.isTTY === true;
      if (!flags.yes && !interactive) {
        throw new CliError('refusing to apply without --yes when not on a terminal: review with `elevate plan`, then run `elevate apply --yes`');
      }
      return run(async (ctx) => {
        const results = [];
        let failed = false;
        for (const ref of await agentRefs(ctx, flags.agent)) {
          const progress = inventoryProgress();
          let bar: ReturnType<typeof progressBar>;
          const outcome = await ctx.runtime.enforcer
            .apply(ref, {
              actor: ctx.actor,
              refreshInventory: true,
              onInventoryProgress: progress.onInventoryProgress,
              ...(flags.removeDrift ? { removeDrift: true } : {}),
              ...(flags.yes
                ? {}
                : {
                    confirm: async (planned: AgentPlan) => {
                      progress.stop();
                      printPlan(planned);
                      const n = planned.plan.toCreate.length + planned.plan.toDelete.length + (flags.removeDrift ? planned.plan.drift.length : 0);
                      return ask(`\napply ${n} change(s) to agent ${planned.plan.agent.name}? [y/N] `);
                    },
                  }),
              onProgress: (done, total) => {
                progress.stop();
                if (!bar) {
                  bar = progressBar('apply');
                  bar?.start(total, 0);
                }
                bar?.update(done);
              },
            })
            .finally(() => {
              progress.stop();
              bar?.stop();
            });
          results.push({ agent: outcome.planned.plan.agent, confirmed: outcome.confirmed, plan: outcome.planned.plan, report: outcome.report ?? null });
          if (outcome.report && !outcome.report.ok) failed = true;
          if (flags.output === 'table') {
            if (!outcome.confirmed) process.stdout.write(`agent ${outcome.planned.plan.agent.name}: not applied\n`);
            else if (!outcome.report) process.stdout.write(`agent ${outcome.planned.plan.agent.name}: nothing to change\n`);
            else printApplyReport(outcome.report);
          }
        }
        if (flags.output === 'json') printJson(flags.agent !== undefined ? results[0] : results);
        if (failed) process.exitCode = 1;
      });
    });

  program
    .command('doctor')
    .description("Test each agent's connection: UAMI token and subscriptions, roles per group, metrics and logs, Elevate's own credential and rights")
    .option('--agent <agent>', 'only this agent (name or id); default: every agent')
    .option('--alerts', "sandbox: also fire a test alert through the sandbox's Azure Monitor at the running service's secure webhook")
    .addOption(outputOption())
    .action((flags: PlanFlags & { alerts?: boolean }) =>
      run(async (ctx) => {
        const reports = [];
        for (const ref of await agentRefs(ctx, flags.agent)) reports.push(await ctx.runtime.doctor(ref));
        if (flags.output === 'json') printJson(flags.agent !== undefined ? reports[0] : reports);
        else reports.forEach((r) => printDoctorReport(r));
        if (reports.some((r) => !r.ok)) process.exitCode = 1;
        if (flags.alerts) {
          // The alert intake end to end: the same webhook path and token an action group uses.
          const { fireSandboxAlert } = await import('./alert-webhook-check.ts');
          const r = await fireSandboxAlert(ctx.config, { rule: 'elevate doctor connectivity check', severity: 'Sev4' });
          const ok = r.status === 201 || r.status === 200;
          process.stdout.write(`\nalert intake: ${ok ? 'ok' : 'FAIL'}: the secure webhook answered ${r.status} (alert ${r.alertId.split('/').pop()})\n`);
          if (!ok) process.exitCode = 1;
        }
      }),
    );
}
