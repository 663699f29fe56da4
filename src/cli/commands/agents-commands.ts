/**
 * `elevate agents list|show|create|set-level|set-run-mode|add-rg|remove-rg`: the agent registry
 * from the terminal. Every change is audited (actor `cli:<os user>`). Changing the registry does
 * not touch Azure: run `elevate plan` / `elevate apply` afterwards.
 */
import type { Command } from 'commander';
import type { Agent } from '../../agents/agent-types.ts';
import { outputOption, print, printJson, printTable, type OutputFormat } from '../cli-output.ts';
import { asCliError, openLevelsContext, openRegistryContext, reexecForSandboxTrust, type CliRegistryContext } from './levels-cli-context.ts';

interface OutputFlags {
  output: OutputFormat;
}

interface CreateFlags extends OutputFlags {
  name: string;
  uamiClientId: string;
  uamiPrincipalId: string;
  tenant?: string;
  level: string;
  runModeCeiling?: string;
  rg: string[];
}

function agentRow(a: Agent): Record<string, unknown> {
  return { name: a.name, level: a.level, runModeCeiling: a.runModeCeiling, groups: a.resourceGroupIds.length, uamiClientId: a.uamiClientId, id: a.id };
}

function printAgent(format: OutputFormat, a: Agent): void {
  if (format === 'json') return printJson(a);
  printTable(
    [
      { field: 'name', value: a.name },
      { field: 'id', value: a.id },
      { field: 'level', value: a.level },
      { field: 'run-mode ceiling', value: a.runModeCeiling },
      { field: 'UAMI client id', value: a.uamiClientId },
      { field: 'UAMI principal id', value: a.uamiPrincipalId },
      { field: 'tenant', value: a.tenantId },
      { field: 'updated', value: a.updatedAt },
    ],
    ['field', 'value'],
  );
  process.stdout.write(`\nmanaged resource groups (${a.resourceGroupIds.length})\n`);
  for (const rg of a.resourceGroupIds) process.stdout.write(`  ${rg}\n`);
  if (a.resourceGroupIds.length === 0) process.stdout.write('  (none: the identity holds no role)\n');
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** Runs with a context and closes it; known errors become one-line CLI errors. */
async function withContext<C extends CliRegistryContext>(open: () => Promise<C>, fn: (ctx: C) => Promise<void>): Promise<void> {
  const ctx = await open();
  try {
    await fn(ctx).catch(asCliError);
  } finally {
    await ctx.close();
  }
}

/** Commands that verify resource groups against ARM need the sandbox CA trusted first. */
async function withArm(fn: (ctx: CliRegistryContext) => Promise<void>): Promise<void> {
  if (await reexecForSandboxTrust()) return;
  await withContext(openLevelsContext, fn);
}

export function registerAgentsCommands(program: Command): void {
  const agents = program.command('agents').description('The agent registry: SRE agents, their UAMI, level, managed resource groups and run-mode ceiling');
  const next = '\nnext: `elevate plan --agent <name>` shows what Azure needs; `elevate apply --agent <name>` makes it so\n';

  agents
    .command('list')
    .description('List registered agents')
    .addOption(outputOption())
    .action((flags: OutputFlags) =>
      withContext(openRegistryContext, async ({ registry }) => {
        const all = await registry.list();
        print(flags.output, all, () => all.map(agentRow));
      }),
    );

  agents
    .command('show')
    .description('Show one agent (by name or id)')
    .argument('<agent>', 'agent name or id')
    .addOption(outputOption())
    .action((ref: string, flags: OutputFlags) => withContext(openRegistryContext, async ({ registry }) => printAgent(flags.output, await registry.get(ref))));

  agents
    .command('create')
    .description('Register an agent; resource groups are checked against ARM (tenant and existence)')
    .requiredOption('--name <name>', 'agent name (letters, digits, . _ -)')
    .requiredOption('--uami-client-id <guid>', "the UAMI's client (application) id")
    .requiredOption('--uami-principal-id <guid>', "the UAMI's object (principal) id")
    .option('--tenant <guid>', 'tenant id (default: the configured tenant)')
    .requiredOption('--level <level>', 'permission level: Reader or Privileged')
    .option('--run-mode-ceiling <mode>', 'ReadOnly, Review or Autonomous (default Review)')
    .option('--rg <resource-group-id>', 'a managed resource group (repeatable)', collect, [])
    .addOption(outputOption())
    .action((flags: CreateFlags) => {
      const input = {
        name: flags.name,
        uamiClientId: flags.uamiClientId,
        uamiPrincipalId: flags.uamiPrincipalId,
        level: flags.level,
        resourceGroupIds: flags.rg,
        ...(flags.tenant !== undefined ? { tenantId: flags.tenant } : {}),
        ...(flags.runModeCeiling !== undefined ? { runModeCeiling: flags.runModeCeiling } : {}),
      };
      // Without groups there is nothing to check in ARM, so no sandbox or tenant is needed.
      const run = async (ctx: CliRegistryContext) => {
        printAgent(flags.output, await ctx.registry.create(input, ctx.actor));
        if (flags.output === 'table') process.stdout.write(next);
      };
      return flags.rg.length > 0 ? withArm(run) : withContext(openRegistryContext, run);
    });

  agents
    .command('set-level')
    .description('Set the permission level (Reader or Privileged)')
    .argument('<agent>', 'agent name or id')
    .argument('<level>', 'Reader or Privileged')
    .addOption(outputOption())
    .action((ref: string, level: string, flags: OutputFlags) =>
      withContext(openRegistryContext, async ({ registry, actor }) => {
        printAgent(flags.output, await registry.setLevel(ref, level, actor));
        if (flags.output === 'table') process.stdout.write(next);
      }),
    );

  agents
    .command('set-run-mode')
    .description('Set the run-mode ceiling (ReadOnly, Review or Autonomous)')
    .argument('<agent>', 'agent name or id')
    .argument('<mode>', 'ReadOnly, Review or Autonomous')
    .addOption(outputOption())
    .action((ref: string, mode: string, flags: OutputFlags) =>
      withContext(openRegistryContext, async ({ registry, actor }) => printAgent(flags.output, await registry.setRunModeCeiling(ref, mode, actor))),
    );

  agents
    .command('add-rg')
    .description('Add a managed resource group (checked against ARM: same tenant, exists)')
    .argument('<agent>', 'agent name or id')
    .argument('<resource-group-id>', '/subscriptions/{id}/resourceGroups/{name}')
    .addOption(outputOption())
    .action((ref: string, rg: string, flags: OutputFlags) =>
      withArm(async ({ registry, actor }) => {
        printAgent(flags.output, await registry.addResourceGroup(ref, rg, actor));
        if (flags.output === 'table') process.stdout.write(next);
      }),
    );

  agents
    .command('remove-rg')
    .description("Remove a managed resource group; the next apply deletes all of Elevate's assignments there")
    .argument('<agent>', 'agent name or id')
    .argument('<resource-group-id>', '/subscriptions/{id}/resourceGroups/{name}')
    .addOption(outputOption())
    .action((ref: string, rg: string, flags: OutputFlags) =>
      withContext(openRegistryContext, async ({ registry, actor }) => {
        printAgent(flags.output, await registry.removeResourceGroup(ref, rg, actor));
        if (flags.output === 'table') process.stdout.write(next);
      }),
    );
}
