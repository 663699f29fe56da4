/**
 * `elevate audit ...`: verify the chain (and its signed checkpoints and archives), export a
 * filtered view, take a checkpoint on demand, run retention, print the checkpoint public key.
 * Verify and export open the database read-only; they never create or change one.
 */
import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import cliProgress from 'cli-progress';
import { verifyArchiveDir } from '../../audit/audit-archive-file.ts';
import { CheckpointKeyError, loadCheckpointKey, publicKeyPem, type CheckpointKey } from '../../audit/audit-checkpoint-key.ts';
import { createCheckpointStore, type ExternalCheckpointStore } from '../../audit/audit-checkpoint-store.ts';
import { createExternalCheckpointStores } from '../../audit/audit-checkpoint-stores.ts';
import { verifyWithCheckpoints, type CheckpointWindow, type VerifyProblem } from '../../audit/audit-checkpoint-verify.ts';
import { createCheckpointer } from '../../audit/audit-checkpointer.ts';
import { writeAuditExport, type ExportFormat } from '../../audit/audit-export.ts';
import { createAuditLog } from '../../audit/audit-log.ts';
import { createAuditQuery } from '../../audit/audit-query.ts';
import { archiveExpired } from '../../audit/audit-retention.ts';
import { AuditSearchError, parseAuditSearch } from '../../audit/audit-search.ts';
import type { VerifyResult } from '../../audit/audit-types.ts';
import { loadConfig, type Config } from '../../config/load-config.ts';
import type { Database } from '../../store/database.ts';
import { CliError, outputOption, print, type OutputFormat } from '../cli-output.ts';
import { openAuditDatabase } from './audit-database.ts';
import { openServiceCredential, reexecForSandboxTrust } from './levels-cli-context.ts';

interface VerifyFlags {
  db?: string;
  output: OutputFormat;
  checkpoints?: boolean;
  archives?: boolean;
  key?: string;
  archiveDir?: string;
  checkpointDir?: string;
  checkpointBlobUrl?: string;
}

/**
 * The external checkpoint stores to read or write: the flags' or the configuration's directory and
 * Blob container (the container through Elevate's service credential; in sandbox mode the running
 * sandbox's). A verifier never creates a missing directory: that is a finding.
 */
async function externalStores(config: Config, flags: { checkpointDir?: string | undefined; checkpointBlobUrl?: string | undefined }, create: boolean): Promise<ExternalCheckpointStore[]> {
  const checkpointDir = flags.checkpointDir ?? config.audit.checkpointDir;
  const checkpointBlobUrl = flags.checkpointBlobUrl ?? config.audit.checkpointBlobUrl;
  if (checkpointBlobUrl !== undefined && !/^https:\/\//.test(checkpointBlobUrl)) throw new CliError('--checkpoint-blob-url must be an https:// container URL');
  const credential = checkpointBlobUrl ? await openServiceCredential(config) : undefined;
  return createExternalCheckpointStores({ checkpointDir, checkpointBlobUrl }, { create, ...(credential ? { credential } : {}) });
}

/** Sandbox mode with a Blob container: this process must trust the sandbox CA first. */
async function needsSandboxTrust(config: Config, flags: { checkpointBlobUrl?: string | undefined }): Promise<boolean> {
  if (!(flags.checkpointBlobUrl ?? config.audit.checkpointBlobUrl)) return false;
  return reexecForSandboxTrust();
}

function windowLine(w: CheckpointWindow): string {
  const newest = w.newestCheckpoint ? `newest checkpoint: seq ${w.newestCheckpoint.seq} at ${w.newestCheckpoint.ts} (${w.newestCheckpoint.ageSeconds} s ago)` : 'no checkpoint yet';
  return `checkpoint window ${w.windowSeconds} s (ELEVATE_AUDIT_CHECKPOINT_INTERVAL_SECONDS ${w.intervalSeconds} + ${w.graceSeconds} s grace); ${newest}; last entry: ${w.lastEntry ? `seq ${w.lastEntry.seq} at ${w.lastEntry.ts}` : 'none'}`;
}

function checkpointKey(flagPath: string | undefined, config: Config | undefined, create: boolean): CheckpointKey {
  const path = flagPath ?? (config ?? loadConfig()).audit.checkpointKeyPath;
  if (!path) throw new CliError('no checkpoint key: pass --key <file> or set ELEVATE_AUDIT_CHECKPOINT_KEY');
  try {
    return loadCheckpointKey(path, { create });
  } catch (err) {
    if (err instanceof CheckpointKeyError) throw new CliError(err.message);
    throw err;
  }
}

function progressBar() {
  return process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
}

async function plainVerify(db: Database): Promise<VerifyResult> {
  const audit = createAuditLog(db);
  const bar = progressBar();
  if (bar) {
    const [head, anchor] = await Promise.all([audit.head(), audit.anchor()]);
    bar.start(head.seq - (anchor?.throughSeq ?? 0), 0);
  }
  try {
    return await audit.verify({ onProgress: (n) => bar?.update(n) });
  } finally {
    bar?.stop();
  }
}

async function verifyCommand(flags: VerifyFlags): Promise<void> {
  if (!flags.checkpoints && !flags.archives) return chainOnly(flags.db, flags.output);
  // The window, the external stores and the interval come from the configuration.
  const config = loadConfig();
  if (await needsSandboxTrust(config, flags)) return;
  const key = checkpointKey(flags.key, config, false);
  const archiveDir = flags.archiveDir ?? config.audit.archiveDir;
  const externals = await externalStores(config, flags, false);
  const db = await openAuditDatabase(flags.db, config, 'read-checkpoints');
  let summary: Record<string, unknown>;
  let problem: VerifyProblem | undefined;
  try {
    const r = await verifyWithCheckpoints({
      db,
      key,
      store: createCheckpointStore(db, archiveDir, externals),
      every: config.audit.checkpointEvery,
      intervalSeconds: config.audit.checkpointIntervalSeconds,
    });
    problem = r.firstProblem;
    summary = {
      ok: r.ok,
      entriesChecked: r.chain.entriesChecked,
      lastSeq: r.chain.lastSeq,
      lastHash: r.chain.lastHash,
      firstBreak: r.firstProblem ?? null,
      checkpoints: r.checkpoints,
      stores: ['audit_checkpoints table', archiveDir, ...externals.map((e) => e.name)],
      window: r.window ?? null,
      warnings: r.warnings,
    };
    if (flags.archives) {
      const archives = await verifyArchiveDir(archiveDir, key);
      const anchor = await createAuditLog(db).anchor();
      const continues = !anchor || (archives.throughSeq === anchor.throughSeq && archives.lastHash === anchor.lastHash);
      summary.archives = { ok: archives.ok && continues, files: archives.files.length, throughSeq: archives.throughSeq };
      if (!problem && !archives.ok) problem = { seq: null, kind: 'changed', message: `archive ${archives.problem ?? 'does not verify'}` };
      else if (!problem && !continues) problem = { seq: anchor!.throughSeq, kind: 'unsealed-anchor', message: `the archives in ${archiveDir} end at seq ${archives.throughSeq ?? 0}, but the chain continues from seq ${anchor!.throughSeq}` };
      summary.ok = problem === undefined;
      summary.firstBreak = problem ?? null;
    }
  } finally {
    await db.close();
  }
  print(flags.output, summary, () => [
    { ok: summary.ok, entries: summary.entriesChecked, lastSeq: summary.lastSeq, checkpoints: (summary.checkpoints as { verified: number }).verified, breakAt: problem?.seq ?? '', kind: problem?.kind ?? '' },
  ]);
  if (summary.window) process.stderr.write(`elevate: ${windowLine(summary.window as CheckpointWindow)}\n`);
  for (const w of summary.warnings as string[]) process.stderr.write(`elevate: warning: ${w}\n`);
  if (problem) {
    process.stderr.write(`elevate: audit verification failed${problem.seq !== null ? ` at seq ${problem.seq}` : ''} (${problem.kind}): ${problem.message}\n`);
    process.exitCode = 1;
  }
}

async function chainOnly(dbFlag: string | undefined, output: OutputFormat): Promise<void> {
  const db = await openAuditDatabase(dbFlag, loadConfig(), 'read');
  let result: VerifyResult;
  try {
    result = await plainVerify(db);
  } finally {
    await db.close();
  }
  const summary = { ok: result.ok, entriesChecked: result.entriesChecked, lastSeq: result.lastSeq, lastHash: result.lastHash, firstBreak: result.firstBreak ?? null };
  print(output, summary, () => [
    { ok: result.ok, entries: result.entriesChecked, lastSeq: result.lastSeq, breakAt: result.firstBreak?.seq ?? '', kind: result.firstBreak?.kind ?? '' },
  ]);
  if (result.firstBreak) {
    process.stderr.write(`elevate: audit chain broken at seq ${result.firstBreak.seq} (${result.firstBreak.kind}): ${result.firstBreak.message}\n`);
    process.exitCode = 1;
  }
}

interface ExportFlags {
  db?: string;
  format: ExportFormat;
  out?: string;
  order: 'desc' | 'asc';
  output: OutputFormat;
  from?: string;
  to?: string;
  agent?: string;
  actingIdentity?: string;
  approver?: string;
  action?: string;
  scopePrefix?: string;
  request?: string;
  incident?: string;
  eventType?: string;
  outcome?: string;
}

async function exportCommand(flags: ExportFlags): Promise<void> {
  let search;
  try {
    search = parseAuditSearch({
      from: flags.from,
      to: flags.to,
      agentId: flags.agent,
      actingIdentity: flags.actingIdentity,
      approverId: flags.approver,
      action: flags.action,
      scopePrefix: flags.scopePrefix,
      requestId: flags.request,
      incidentId: flags.incident,
      eventType: flags.eventType,
      outcome: flags.outcome,
    });
  } catch (err) {
    if (err instanceof AuditSearchError) throw new CliError(err.message);
    throw err;
  }
  const db = await openAuditDatabase(flags.db, loadConfig(), 'read');
  const query = createAuditQuery(db);
  try {
    if (!flags.out) {
      await writeAuditExport(query, search, process.stdout, { format: flags.format, order: flags.order, end: false });
      return;
    }
    if (!existsSync(dirname(flags.out))) throw new CliError(`directory ${dirname(flags.out)} does not exist`);
    // Written beside the target and renamed when complete: a half-written export never carries the final name.
    const partial = join(dirname(flags.out), `.${Date.now()}.elevate-export.partial`);
    try {
      const trailer = await writeAuditExport(query, search, createWriteStream(partial, { mode: 0o600, flags: 'wx' }), { format: flags.format, order: flags.order });
      renameSync(partial, flags.out);
      print(flags.output, { file: flags.out, ...trailer }, () => [{ file: flags.out, entries: trailer.entries, lastSeq: trailer.lastSeq ?? '', lastHash: trailer.lastHash ?? '' }]);
    } catch (err) {
      rmSync(partial, { force: true });
      throw err;
    }
  } finally {
    await db.close();
  }
}

async function checkpointCommand(flags: { db?: string; key?: string; archiveDir?: string; output: OutputFormat }): Promise<void> {
  const config = loadConfig();
  if (await needsSandboxTrust(config, {})) return;
  const key = checkpointKey(flags.key, config, true);
  const externals = await externalStores(config, {}, true);
  const db = await openAuditDatabase(flags.db, config, 'write');
  try {
    const checkpointer = createCheckpointer({ db, key, store: createCheckpointStore(db, flags.archiveDir ?? config.audit.archiveDir, externals), every: config.audit.checkpointEvery });
    const cp = await checkpointer.checkpointNow('on-demand').catch((err: unknown) => {
      throw new CliError((err as Error).message);
    });
    print(flags.output, cp, () => [{ seq: cp.seq, hash: cp.hash, ts: cp.ts, keyId: cp.keyId }]);
  } finally {
    await db.close();
  }
}

async function retentionCommand(flags: { db?: string; key?: string; archiveDir?: string; days?: string; output: OutputFormat }): Promise<void> {
  const config = loadConfig();
  const days = flags.days !== undefined ? Number(flags.days) : config.audit.retentionDays;
  if (days === undefined) throw new CliError('no retention period: pass --days <n> or set ELEVATE_AUDIT_RETENTION_DAYS');
  if (!Number.isSafeInteger(days) || days < 1) throw new CliError(`--days must be a positive whole number of days, got ${JSON.stringify(flags.days)}`);
  if (await needsSandboxTrust(config, {})) return;
  const key = checkpointKey(flags.key, config, false);
  const archiveDir = flags.archiveDir ?? config.audit.archiveDir;
  const externals = await externalStores(config, {}, true);
  const db = await openAuditDatabase(flags.db, config, 'write');
  try {
    const audit = createAuditLog(db);
    const checkpointer = createCheckpointer({ db, key, store: createCheckpointStore(db, archiveDir, externals), every: config.audit.checkpointEvery });
    const result = await archiveExpired({ db, audit, checkpointer, archiveDir, retentionDays: days }).catch((err: unknown) => {
      throw new CliError((err as Error).message.split('\n')[0]!);
    });
    const summary = result ? { archived: true, file: result.file, fromSeq: result.fromSeq, throughSeq: result.throughSeq, entries: result.entries, sha256: result.sha256, deleted: result.deleted } : { archived: false, entries: 0 };
    print(flags.output, summary, () => [summary]);
  } finally {
    await db.close();
  }
}

const dbOption = () => new Option('--db <file>', 'SQLite database file (default: ELEVATE_DATABASE_URL\'s PostgreSQL database when set, else ELEVATE_DB_PATH, else ./data/elevate.db)');
const keyOption = () => new Option('--key <file>', 'checkpoint key file, private or public PEM (default: ELEVATE_AUDIT_CHECKPOINT_KEY)');
const archiveDirOption = () => new Option('--archive-dir <dir>', 'where archives and checkpoints.jsonl live (default: ELEVATE_AUDIT_ARCHIVE_DIR)');

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('Inspect, export, checkpoint and archive the tamper-evident audit log');
  audit
    .command('verify')
    .description('Recompute the audit hash chain: exit 0 when intact, 1 at the first broken entry, 2 on a usage or file error')
    .addOption(dbOption())
    .option('--checkpoints', 'also check the signed checkpoints in every configured store: detects a truncated tail, a rewritten chain, an unsealed anchor, entries left uncovered longer than the window')
    .option('--archives', 'also verify the archive files and that the chain continues from the last one (implies the checkpoint key)')
    .addOption(keyOption())
    .addOption(archiveDirOption())
    .option('--checkpoint-dir <dir>', 'external checkpoint directory to read (default: ELEVATE_AUDIT_CHECKPOINT_DIR)')
    .option('--checkpoint-blob-url <url>', 'immutable Blob container of checkpoints to read (default: ELEVATE_AUDIT_CHECKPOINT_BLOB_URL)')
    .addOption(outputOption())
    .action((flags: VerifyFlags) => verifyCommand(flags));

  audit
    .command('export')
    .description('Stream the entries matching the filters as JSON Lines or CSV, ending with a trailer that names the last entry\'s seq and hash')
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'file format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--out <file>', 'write to this file (created 0600; default: stdout)')
    .addOption(new Option('--order <order>', 'newest or oldest first').choices(['desc', 'asc']).default('desc'))
    .option('--from <instant>', 'entries at or after this UTC date or date-time')
    .option('--to <instant>', 'entries before this UTC date-time (a date includes that whole day)')
    .option('--agent <id>', 'agent id')
    .option('--acting-identity <id>', 'whose permissions were used: agent:<id> (managed identity) or an approver (OBO)')
    .option('--approver <id>', 'approver object id')
    .option('--action <action>', 'Azure action, e.g. Microsoft.Compute/virtualMachines/restart/action')
    .option('--scope-prefix <scope>', 'ARM scope and everything under it (segment-aware, case-insensitive)')
    .option('--incident <id>', "an incident's own entries and every entry of the requests tied to it")
    .option('--request <id>', 'request id')
    .option('--event-type <type>', 'event type, e.g. operation.requested')
    .option('--outcome <outcome>', 'outcome, e.g. denied')
    .addOption(outputOption())
    .action((flags: ExportFlags) => exportCommand(flags));

  audit
    .command('checkpoint')
    .description('Sign a checkpoint of the current head now (the service also does so every ELEVATE_AUDIT_CHECKPOINT_EVERY entries)')
    .addOption(dbOption())
    .addOption(keyOption())
    .addOption(archiveDirOption())
    .addOption(outputOption())
    .action((flags: { db?: string; key?: string; archiveDir?: string; output: OutputFormat }) => checkpointCommand(flags));

  audit
    .command('retention')
    .alias('archive')
    .description('Archive entries older than the retention period to a sealed JSON Lines file, then delete them from the database')
    .addOption(dbOption())
    .addOption(keyOption())
    .addOption(archiveDirOption())
    .option('--days <n>', 'retention period in days (default: ELEVATE_AUDIT_RETENTION_DAYS)')
    .addOption(outputOption())
    .action((flags: { db?: string; key?: string; archiveDir?: string; days?: string; output: OutputFormat }) => retentionCommand(flags));

  audit
    .command('public-key')
    .description('Print the checkpoint public key (PEM), for verifying checkpoints and archives elsewhere')
    .addOption(keyOption())
    .action((flags: { key?: string }) => {
      process.stdout.write(publicKeyPem(checkpointKey(flags.key, undefined, false)));
    });
}
