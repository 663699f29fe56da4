/**
 * `elevate levels raise|approve|deny|end|list`: time-bound level raises from the terminal, with
 * the same rules as the pages (approvals.yaml levelRaise: the cap, four eyes). The operator is the
 * audit actor (cli:<user>). Grants made here reach Azure at once; a running `elevate serve` sees
 * them at its next permission-cache refresh (ELEVATE_PERMISSION_CACHE_SECONDS) and its sweeper
 * ends them on time.
 */
import type { Command } from 'commander';
import { RaiseConflictError, RaiseInputError, RaiseNotFoundError, type LevelRaise } from '../../raises/raise-types.ts';
import { raiseView } from '../../raises/raise-view.ts';
import { CliError, outputOption, print, type OutputFormat } from '../cli-output.ts';
import { asCliError, openLevelsContext, reexecForSandboxTrust, type CliLevelsContext } from './levels-cli-context.ts';

function raiseCliError(err: unknown): never {
  if (err instanceof RaiseInputError || err instanceof RaiseConflictError) throw new CliError(`${err.message} (${err.code})`);
  if (err instanceof RaiseNotFoundError) throw new CliError(err.message, 3);
  return asCliError(err);
}

async function run(fn: (ctx: CliLevelsContext) => Promise<void>): Promise<void> {
  if (await reexecForSandboxTrust()) return;
  const ctx = await openLevelsContext();
  try {
    await fn(ctx).catch(raiseCliError);
  } finally {
    await ctx.close();
  }
}

const row = (r: LevelRaise) => ({
  id: r.id,
  state: r.state + (r.endReason ? ` (${r.endReason})` : ''),
  level: r.targetLevel,
  minutes: r.durationMinutes,
  groups: r.resourceGroupIds.map((g) => g.split('/').pop()).join(' '),
  window: r.startsAt ? `${r.startsAt} → ${r.endsAt}` : '',
  mode: r.mode ?? '',
  asked: r.requestedBy.name ?? r.requestedBy.id,
});

const show = (format: OutputFormat, r: LevelRaise) => print(format, raiseView(r, { azureIds: true }), () => [row(r)]);

export function registerRaiseCommands(program: Command): void {
  const levels = program.command('levels').description("Time-bound raises of an agent's level (e.g. Privileged on one group for 2 hours), on approval");

  levels
    .command('raise')
    .description('Ask for a time-bound raise; it waits for approval by another administrator')
    .argument('<agent>', 'agent name or id')
    .requiredOption('--rg <id...>', 'managed resource group id(s) to raise on')
    .requiredOption('--minutes <n>', 'how long, in minutes (capped by approvals.yaml levelRaise.maxDurationMinutes)')
    .requiredOption('--justification <text>', 'why (shown to approvers, recorded in the audit log)')
    .option('--level <level>', 'target level', 'Privileged')
    .option('--incident <ref>', 'the incident or trigger it is for, e.g. INC-1042')
    .addOption(outputOption())
    .action((agent: string, flags: { rg: string[]; minutes: string; justification: string; level: string; incident?: string; output: OutputFormat }) =>
      run(async (ctx) => {
        const minutes = /^\d{1,7}$/.test(flags.minutes) ? Number(flags.minutes) : flags.minutes;
        const raise = await ctx.runtime.raises.request(
          agent,
          { resourceGroupIds: flags.rg, targetLevel: flags.level, durationMinutes: minutes, justification: flags.justification, triggerRef: flags.incident },
          { kind: 'user', id: ctx.actor.id, name: ctx.actor.name },
        );
        show(flags.output, raise);
      }),
    );

  levels
    .command('approve')
    .description('Approve a pending raise; with enough approvals its role assignments are made at once')
    .argument('<raise>', 'raise id')
    .option('--reason <text>', 'recorded with the approval')
    .addOption(outputOption())
    .action((id: string, flags: { reason?: string; output: OutputFormat }) =>
      run(async (ctx) => show(flags.output, await ctx.runtime.raises.approve(id, { id: ctx.actor.id, name: ctx.actor.name }, flags.reason ?? null))),
    );

  levels
    .command('deny')
    .description('Deny a pending raise')
    .argument('<raise>', 'raise id')
    .option('--reason <text>', 'recorded with the denial')
    .addOption(outputOption())
    .action((id: string, flags: { reason?: string; output: OutputFormat }) =>
      run(async (ctx) => show(flags.output, await ctx.runtime.raises.deny(id, { id: ctx.actor.id, name: ctx.actor.name }, flags.reason ?? null))),
    );

  levels
    .command('end')
    .description('End a raise now: its role assignments are removed and checked gone')
    .argument('<raise>', 'raise id')
    .addOption(outputOption())
    .action((id: string, flags: { output: OutputFormat }) =>
      run(async (ctx) => {
        const r = await ctx.runtime.raises.end(id, { id: ctx.actor.id, name: ctx.actor.name });
        show(flags.output, r);
        if (r.state !== 'ended') process.exitCode = 1;
      }),
    );

  levels
    .command('list')
    .description("Raises, newest first: one agent's, or every agent's")
    .option('--agent <agent>', 'only this agent (name or id)')
    .addOption(outputOption())
    .action((flags: { agent?: string; output: OutputFormat }) =>
      run(async (ctx) => {
        const raises = flags.agent ? await ctx.runtime.raises.listByAgent((await ctx.registry.get(flags.agent)).id) : await ctx.runtime.raises.listRecent(200);
        print(flags.output, raises.map((r) => raiseView(r, { azureIds: true })), () => raises.map(row));
      }),
    );
}
