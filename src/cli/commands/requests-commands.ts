/**
 * `elevate requests list|show|approve|deny`: an administrator decides on pending requests from a
 * terminal (Teleport's `tctl request approve` is the model), through Elevate's administrator API,
 * signed in with the device code flow. Machine output on stdout (`--output json|table`); the
 * sign-in instructions and progress on stderr. An elevation goes through a second, fresh sign-in
 * bound to the request (src/approvals/api-elevation-approval.ts), exactly as in the browser, and
 * a Conditional Access claims challenge is answered with a sign-in carrying its claims
 * (requests/elevation-completion.ts).
 * Tokens live only in this process's memory (MSAL's in-memory cache): nothing is written to disk.
 */
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { isCaReexecChild, processTrustsCaBundle } from '../../config/sdk-environment.ts';
import { ConfigError, loadConfig } from '../../config/load-config.ts';
import { sandboxCaBundlePath } from '../../sandbox/tls/ca-bundle.ts';
import { CliError, outputOption, printJson, printTable, type OutputFormat } from '../cli-output.ts';
import { callAdminApi, refusalOf, type ApiAnswer } from '../requests/admin-api-client.ts';
import { signInWithDeviceCode } from '../requests/device-code-sign-in.ts';
import { completeElevation } from '../requests/elevation-completion.ts';
import { terminalSafe } from '../requests/terminal-safe.ts';
import { describeRequest } from '../requests/request-description.ts';
import { resolveRequestsCliSettings, type RequestsCliFlags, type RequestsCliSettings } from '../requests/requests-cli-settings.ts';

interface CommonOptions extends RequestsCliFlags {
  output: OutputFormat;
}

const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

const say = (line: string) => process.stderr.write(`${line}\n`);

function shortPath(path: unknown): string {
  const p = terminalSafe(path);
  return p.length > 70 ? `…${p.slice(-69)}` : p;
}

/** Settings, with the sandbox CA trusted: Node reads NODE_EXTRA_CA_CERTS only at start, so re-run once with it. */
async function settingsOrReexec(opts: RequestsCliFlags): Promise<RequestsCliSettings | number> {
  let config;
  try {
    // an administrator's machine holds no Elevate credential: only the tenant, the CLI's client id and the API
    config = loadConfig({ serviceCredential: false });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
  const settings = resolveRequestsCliSettings(config, opts);
  if (config.mode === 'sandbox') {
    const bundle = sandboxCaBundlePath(config.sandbox.dataDir);
    if (!existsSync(bundle)) throw new CliError(`the sandbox is not running (no ${bundle}): start it with 'elevate serve' first`, 1);
    if (!processTrustsCaBundle(bundle)) {
      if (isCaReexecChild()) throw new CliError(`NODE_EXTRA_CA_CERTS: re-executed with ${bundle} but the sandbox CA is still not trusted`, 1);
      // loaded only here: it pulls in the service's start-up code
      const { reexecWithCaBundle } = await import('../../service/sandbox-trust.ts');
      return reexecWithCaBundle(bundle);
    }
  }
  return settings;
}

async function withSettings(opts: RequestsCliFlags, fn: (s: RequestsCliSettings) => Promise<void>): Promise<void> {
  const s = await settingsOrReexec(opts);
  if (typeof s === 'number') {
    process.exitCode = s;
    return;
  }
  await fn(s);
}

async function signIn(s: RequestsCliSettings, purpose: string, claims?: string): Promise<string> {
  say(purpose);
  const token = await signInWithDeviceCode(s, say, claims);
  say('Signed in.');
  return token;
}

function expectOk(answer: ApiAnswer, ...ok: number[]): ApiAnswer {
  if (!ok.includes(answer.status)) throw refusalOf(answer);
  return answer;
}

function requestId(id: string): string {
  if (!REQUEST_ID.test(id)) throw new CliError('request id: expected letters, digits and dashes (at most 64)');
  return encodeURIComponent(id);
}

function printOutcome(format: OutputFormat, body: Record<string, unknown>): void {
  if (format === 'json') return printJson(body);
  const arm = body.arm as { status?: unknown; correlationId?: unknown } | null | undefined;
  printTable([
    {
      request: terminalSafe(body.requestId),
      outcome: terminalSafe(body.outcome),
      state: terminalSafe(body.state),
      ...(body.counted !== undefined ? { approvals: `${terminalSafe(body.counted)}/${terminalSafe(body.required)}` } : {}),
      ...(arm ? { arm: `${terminalSafe(arm.status)} ${terminalSafe(arm.correlationId)}` } : {}),
    },
  ]);
}

const common = (cmd: Command) =>
  cmd
    .option('--url <url>', "Elevate's base URL (default ELEVATE_URL, ELEVATE_PUBLIC_URL, or http://ELEVATE_HOST:ELEVATE_PORT)")
    .option('--tenant <guid>', 'Entra tenant id (default AZURE_TENANT_ID; the sandbox tenant in sandbox mode)')
    .option('--client-id <guid>', "the CLI's public client app registration (default ELEVATE_CLI_CLIENT_ID; the sandbox's Elevate CLI app)")
    .option('--scope <scope>', "Elevate's delegated scope (default api://<elevate>/user_impersonation)")
    .addOption(outputOption());

export function registerRequestsCommands(program: Command): void {
  const requests = program.command('requests').description('list, show, approve or deny pending requests as an administrator (device code sign-in)');

  common(requests.command('list').description('pending requests, oldest first')).action(async (opts: CommonOptions) =>
    withSettings(opts, async (s) => {
      const token = await signIn(s, 'Sign in to Elevate as an administrator.');
      const answer = expectOk(await callAdminApi(s.elevateUrl, token, 'GET', ''), 200);
      const items = (answer.body.items as Array<Record<string, unknown>>) ?? [];
      if (opts.output === 'json') return printJson(answer.body);
      printTable(
        items.map((r) => {
          const op = (r.operation ?? {}) as Record<string, unknown>;
          const agent = (r.agent ?? {}) as Record<string, unknown>;
          return {
            id: terminalSafe(r.id),
            kind: terminalSafe(r.kind),
            agent: terminalSafe(agent.name ?? agent.id),
            operation: `${terminalSafe(op.method)} ${shortPath(op.path)}`,
            requestedBy: terminalSafe(r.requestedBy),
            expiresAt: terminalSafe(r.expiresAt),
          };
        }),
        ['id', 'kind', 'agent', 'operation', 'requestedBy', 'expiresAt'],
      );
    }),
  );

  common(requests.command('show').description('one request: the exact operation, approvals and history').argument('<id>', 'request id')).action(async (id: string, opts: CommonOptions) =>
    withSettings(opts, async (s) => {
      const path = `/${requestId(id)}`;
      const token = await signIn(s, 'Sign in to Elevate as an administrator.');
      const answer = expectOk(await callAdminApi(s.elevateUrl, token, 'GET', path), 200);
      if (opts.output === 'json') return printJson(answer.body);
      process.stdout.write(`${describeRequest(answer.body).join('\n')}\n`);
      const approvals = (answer.body.approvals as Array<Record<string, unknown>>) ?? [];
      process.stdout.write(`approvals  ${approvals.length}/${terminalSafe(answer.body.required)}\n\nHistory\n`);
      printTable(
        ((answer.body.history as Array<Record<string, unknown>>) ?? []).map((e) => ({ at: terminalSafe(e.at), event: terminalSafe(e.eventType), outcome: terminalSafe(e.outcome), actor: terminalSafe(e.actor) })),
        ['at', 'event', 'outcome', 'actor'],
      );
    }),
  );

  common(
    requests
      .command('approve')
      .description('approve a request; an elevation asks for a fresh sign-in bound to it, then runs once with your Azure permissions')
      .argument('<id>', 'request id')
      .addOption(new Option('--reason <text>', 'why you approve (recorded in the audit log)')),
  ).action(async (id: string, opts: CommonOptions & { reason?: string }) =>
    withSettings(opts, async (s) => {
      const path = `/${requestId(id)}`;
      const token = await signIn(s, 'Sign in to Elevate as an administrator.');
      const shown = expectOk(await callAdminApi(s.elevateUrl, token, 'GET', path), 200).body;
      say(describeRequest(shown).join('\n'));
      const answer = expectOk(await callAdminApi(s.elevateUrl, token, 'POST', `${path}/approve`, { reason: opts.reason ?? '' }), 200, 202);
      if (answer.status === 200) return printOutcome(opts.output, answer.body);
      // An elevation: Elevate opened an attempt for this request; sign in afresh, inside it.
      if (answer.body.operationHash !== shown.operationHash) throw new CliError('the request changed while you were approving it; nothing was run. Show it again.', 1);
      say(`${terminalSafe(answer.body.message)}`);
      const fresh = await signIn(s, 'Sign in again to approve this elevation (a fresh sign-in, for this request only).');
      // Entra may answer the exchange with a claims challenge (Conditional Access): signed in again with its claims
      const completion = await completeElevation(
        {
          signIn: (claims) => signIn(s, 'Sign in again to approve this elevation, satisfying what Entra asks for (MFA, say).', claims),
          post: (token) => callAdminApi(s.elevateUrl, token, 'POST', `${path}/approve/elevation`, { operationHash: shown.operationHash }),
          say,
        },
        fresh,
      );
      const done = expectOk(completion, 200, 202);
      // Entra asked for another sign-in without a claims challenge (an expired token): nothing ran
      if (done.status === 202) throw new CliError(`${terminalSafe(done.body.message)} Nothing ran; run approve again.`, 1);
      printOutcome(opts.output, done.body);
    }),
  );

  common(
    requests
      .command('deny')
      .description('deny a request, with a reason the agent will read')
      .argument('<id>', 'request id')
      .addOption(new Option('--reason <text>', 'why you deny (recorded, and returned to the agent)').makeOptionMandatory()),
  ).action(async (id: string, opts: CommonOptions & { reason: string }) =>
    withSettings(opts, async (s) => {
      const path = `/${requestId(id)}`;
      const token = await signIn(s, 'Sign in to Elevate as an administrator.');
      const answer = expectOk(await callAdminApi(s.elevateUrl, token, 'POST', `${path}/deny`, { reason: opts.reason }), 200);
      printOutcome(opts.output, answer.body);
    }),
  );
}
