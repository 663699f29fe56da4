import { Command, CommanderError } from 'commander';
import { failAndExit } from './cli-output.ts';

type Registrar = (program: Command) => void;

/**
 * Command groups, loaded on demand: the levels and serve commands pull in the Azure SDKs and the
 * web stack, which `elevate rbac check` in a script loop should not pay for on every call.
 */
const GROUPS: Array<{ commands: string[]; load: () => Promise<Registrar> }> = [
  { commands: ['serve'], load: async () => (await import('./commands/serve-command.ts')).registerServeCommand },
  { commands: ['rbac'], load: async () => (await import('./commands/rbac-commands.ts')).registerRbacCommands },
  { commands: ['roles'], load: async () => (await import('./commands/roles-commands.ts')).registerRolesCommands },
  { commands: ['audit'], load: async () => (await import('./commands/audit-commands.ts')).registerAuditCommands },
  { commands: ['sandbox'], load: async () => (await import('./commands/sandbox-commands.ts')).registerSandboxCommands },
  { commands: ['agents'], load: async () => (await import('./commands/agents-commands.ts')).registerAgentsCommands },
  { commands: ['mcp'], load: async () => (await import('./commands/mcp-command.ts')).registerMcpCommand },
  { commands: ['requests'], load: async () => (await import('./commands/requests-commands.ts')).registerRequestsCommands },
  { commands: ['plan', 'apply', 'doctor'], load: async () => (await import('./commands/levels-commands.ts')).registerLevelsCommands },
  { commands: ['levels'], load: async () => (await import('./commands/raise-commands.ts')).registerRaiseCommands },
];

const program = new Command('elevate')
  .description('Permission governance and one-time on-behalf-of elevation for an Azure SRE agent')
  .showHelpAfterError(false)
  .exitOverride()
  .configureOutput({
    // commander's own usage errors become our one-line error format
    outputError: (str, write) => write(`elevate: ${str.replace(/^error: /, '').trim()}\n`),
  });

try {
  // The first word names the group; help, no command or an unknown word loads them all so
  // commander can list every command or say which one does not exist.
  const first = process.argv[2];
  const wanted = GROUPS.filter((g) => first !== undefined && g.commands.includes(first));
  for (const group of wanted.length > 0 ? wanted : GROUPS) (await group.load())(program);
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version exit 0; usage errors were already printed by outputError
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  failAndExit(err);
}
