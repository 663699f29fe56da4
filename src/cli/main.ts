import { Command, CommanderError } from 'commander';
import { failAndExit } from './cli-output.ts';
import { registerAgentsCommands } from './commands/agents-commands.ts';
import { registerAuditCommands } from './commands/audit-commands.ts';
import { registerLevelsCommands } from './commands/levels-commands.ts';
import { registerRbacCommands } from './commands/rbac-commands.ts';
import { registerSandboxCommands } from './commands/sandbox-commands.ts';
import { registerServeCommand } from './commands/serve-command.ts';

const program = new Command('elevate')
  .description('Permission governance and one-time on-behalf-of elevation for an Azure SRE agent')
  .showHelpAfterError(false)
  .exitOverride()
  .configureOutput({
    // commander's own usage errors become our one-line error format
    outputError: (str, write) => write(`elevate: ${str.replace(/^error: /, '').trim()}\n`),
  });

registerServeCommand(program);
registerRbacCommands(program);
registerAuditCommands(program);
registerSandboxCommands(program);
registerAgentsCommands(program);
registerLevelsCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // help and version exit 0; usage errors were already printed by outputError
    process.exit(err.exitCode === 0 ? 0 : 2);
  }
  failAndExit(err);
}
