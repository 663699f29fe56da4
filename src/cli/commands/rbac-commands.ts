/**
 * `elevate rbac check` answers "may this principal do this action at this scope?" from
 * exported Azure data, with the explanation; `elevate rbac action` derives the RBAC action of
 * an ARM call. Both are offline: they read files, never Azure.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { CliError, outputOption, printJson, printTable, type OutputFormat } from '../cli-output.ts';
import { loadAuthorizationState } from '../../rbac/authorization-files.ts';
import { loadProviderOperationIndex } from '../../rbac/provider-operations.ts';
import { createEvaluator } from '../../rbac/rbac-evaluator.ts';
import { ArmPathError, RbacDataError, RbacInputError } from '../../rbac/rbac-errors.ts';
import type { Decision, Evaluator } from '../../rbac/rbac-types.ts';
import { resolveArmOperation } from '../../rbac/resolve-arm-operation.ts';
import { typedActionNote } from '../../rbac/typed-action-note.ts';

interface CheckOptions {
  principal?: string;
  action?: string;
  data?: boolean;
  scope?: string;
  assignments: string;
  roles?: string;
  groups?: string;
  deny?: string;
  hierarchy?: string;
  cases?: string;
  output: OutputFormat;
}

const caseSchema = z.object({
  principal: z.string(),
  action: z.string(),
  scope: z.string(),
  data: z.boolean().optional(),
});

/** Data problems become CliErrors so the user sees one line, not a stack. */
function asCliError(err: unknown): never {
  if (err instanceof RbacDataError || err instanceof RbacInputError || err instanceof ArmPathError) throw new CliError(err.message);
  throw err;
}

function printDecisionTable(d: Decision): void {
  printTable([{ allowed: d.allowed, reason: d.reason, message: d.message }]);
  const section = (title: string, rows: Array<Record<string, unknown>>, columns: string[]) => {
    if (rows.length === 0) return;
    process.stdout.write(`\n${title}\n`);
    printTable(rows, columns);
  };
  section('granted by', d.grantedBy.map((g) => ({ ...g, via: g.viaGroup ? `group ${g.viaPrincipalId}` : 'direct' })), ['roleName', 'assignmentScope', 'matchedPattern', 'via', 'assignmentId']);
  section('denied by', d.deniedBy.map((x) => ({ ...x, name: x.denyAssignmentName ?? '' })), ['name', 'scope', 'matchedPattern', 'viaPrincipalId', 'denyAssignmentId']);
  section('conditional grants (not counted)', d.conditionalGrants.map((c) => ({ ...c })), ['roleName', 'assignmentScope', 'matchedPattern', 'note']);
  section('would be granted by', d.wouldBeGrantedBy.map((s) => ({ ...s })), ['roleName', 'size', 'builtIn', 'roleDefinitionId']);
}

function readCases(path: string): string[] {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8').split(/\r?\n/);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`cases file ${path}: cannot read${code ? ` (${code})` : ''}`);
  }
}

type CaseResult = { line: number; allowed: boolean; error: string } | ({ line: number } & CaseInput & Decision);
type CaseInput = z.infer<typeof caseSchema>;

function runCase(evaluator: Evaluator, text: string, line: number): CaseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { line, allowed: false, error: `line ${line}: not valid JSON` };
  }
  const c = caseSchema.safeParse(parsed);
  if (!c.success) {
    const issue = c.error.issues[0];
    return { line, allowed: false, error: `line ${line}: ${issue ? `${issue.path.join('.') || 'case'}: ${issue.message}` : 'invalid case'}` };
  }
  try {
    const req = { principalId: c.data.principal, action: c.data.action, scope: c.data.scope, dataAction: c.data.data === true };
    return { line, ...c.data, ...evaluator.check(req) };
  } catch (err) {
    if (err instanceof RbacInputError) return { line, allowed: false, error: `line ${line}: ${err.message}` };
    throw err;
  }
}

function runCheck(opts: CheckOptions): void {
  const single = [opts.principal, opts.action, opts.scope];
  if (opts.cases !== undefined) {
    if (single.some((v) => v !== undefined) || opts.data) throw new CliError('--cases cannot be combined with --principal, --action, --scope or --data');
  } else {
    const missing = (['principal', 'action', 'scope'] as const).filter((k) => opts[k] === undefined);
    if (missing.length > 0) throw new CliError(`required option${missing.length > 1 ? 's' : ''} ${missing.map((m) => `--${m}`).join(', ')} not specified (or use --cases <file.jsonl>)`);
  }

  let evaluator: Evaluator;
  try {
    const state = loadAuthorizationState(opts);
    evaluator = createEvaluator(state);
  } catch (err) {
    asCliError(err);
  }
  for (const w of evaluator.warnings) process.stderr.write(`elevate: warning: ${w}\n`);

  if (opts.cases === undefined) {
    let decision: Decision;
    try {
      decision = evaluator.check({ principalId: opts.principal!, action: opts.action!, scope: opts.scope!, dataAction: opts.data === true });
    } catch (err) {
      asCliError(err);
    }
    const note = typedActionNote(opts.action!, opts.data === true, loadProviderOperationIndex());
    if (note) process.stderr.write(`elevate: warning: ${note}\n`);
    if (opts.output === 'json') printJson(decision);
    else printDecisionTable(decision);
    return;
  }

  const results: CaseResult[] = [];
  readCases(opts.cases).forEach((text, idx) => {
    if (text.trim().length === 0) return;
    const r = runCase(evaluator, text, idx + 1);
    if (opts.output === 'json') process.stdout.write(`${JSON.stringify(r)}\n`);
    else results.push(r);
  });
  if (opts.output === 'table') {
    printTable(
      results.map((r) => ('error' in r ? { line: r.line, allowed: false, reason: 'error', detail: r.error } : { line: r.line, principal: r.principal, action: r.action, scope: r.scope, allowed: r.allowed, reason: r.reason, detail: r.grantedBy[0]?.roleName ?? r.deniedBy[0]?.denyAssignmentName ?? '' })),
      ['line', 'principal', 'action', 'scope', 'allowed', 'reason', 'detail'],
    );
  }
}

export function registerRbacCommands(program: Command): void {
  const rbac = program.command('rbac').description('Evaluate Azure RBAC offline from exported role, assignment and deny data');

  rbac
    .command('check')
    .description('Would Azure let a principal perform an action at a scope? Exits 0 whatever the answer.')
    .option('--principal <oid>', 'object id of the principal (user, group, service principal, managed identity)')
    .option('--action <action>', 'operation, e.g. Microsoft.Compute/virtualMachines/restart/action')
    .option('--data', 'the action is a data action (matched against DataActions)')
    .option('--scope <scope>', 'scope of the check, e.g. /subscriptions/<id>/resourceGroups/<rg>')
    .requiredOption('--assignments <file.json>', 'role assignments (ARM list body or `az role assignment list` output)')
    .option('--roles <file.json>', 'role definitions as `az role definition list` prints them (default: the built-in catalog)')
    .option('--groups <file.json>', 'principal id -> ids of the groups it belongs to')
    .option('--deny <file.json>', 'deny assignments (ARM list body)')
    .option('--hierarchy <file.json>', 'subscription id -> management group ids above it, nearest first')
    .option('--cases <file.jsonl>', 'one check per line: {"principal","action","scope","data"?}; one result line per case ("-" reads stdin)')
    .addOption(outputOption())
    .action((opts: CheckOptions) => runCheck(opts));

  rbac
    .command('action')
    .description("Derive the RBAC action and scope of an ARM REST call, as Azure's provider operations list names it")
    .argument('<method>', 'HTTP method: GET, HEAD, PUT, PATCH, DELETE or POST')
    .argument('<path>', 'ARM path, e.g. /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Web/sites/<app>/restart')
    .addOption(outputOption())
    .action((method: string, path: string, opts: { output: OutputFormat }) => {
      let result;
      try {
        result = resolveArmOperation(method, path, loadProviderOperationIndex());
      } catch (err) {
        asCliError(err);
      }
      if (opts.output === 'json') printJson(result);
      else {
        printTable([{ ...result, operation: result.operationStatus }], ['action', 'operation', 'resourceType', 'scope']);
        if (result.operationNote) process.stdout.write(`\nnote: ${result.operationNote}\n`);
      }
    });
}
