import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { createAuditLog } from '../../audit/audit-log.ts';
import type { VerifyResult } from '../../audit/audit-types.ts';
import { loadConfig } from '../../config/load-config.ts';
import { openDatabase, type Database } from '../../store/database.ts';
import { CliError, outputOption, print, type OutputFormat } from '../cli-output.ts';

interface VerifyFlags {
  db?: string;
  output: OutputFormat;
}

/** Opens an existing database read-only: verifying must never create a database or write to one. */
async function openExisting(path: string): Promise<Database> {
  if (!existsSync(path)) throw new CliError(`database ${path} does not exist`);
  let db: Database;
  try {
    db = await openDatabase(path, { readonly: true });
  } catch (err) {
    throw new CliError(`cannot open database ${path}: ${(err as Error).message}`);
  }
  try {
    const table = await db.get("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'");
    if (!table) throw new CliError(`database ${path} has no audit log (not an Elevate database?)`);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    if (err instanceof CliError) throw err;
    throw new CliError(`cannot read database ${path}: ${(err as Error).message}`);
  }
}

async function verifyCommand(flags: VerifyFlags): Promise<void> {
  const path = flags.db ?? loadConfig().dbPath;
  const db = await openExisting(path);
  let result: VerifyResult;
  try {
    const audit = createAuditLog(db);
    const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ stream: process.stderr, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
    if (bar) {
      const [head, anchor] = await Promise.all([audit.head(), audit.anchor()]);
      bar.start(head.seq - (anchor?.throughSeq ?? 0), 0);
    }
    try {
      result = await audit.verify({ onProgress: (n) => bar?.update(n) });
    } finally {
      bar?.stop();
    }
  } finally {
    await db.close();
  }

  const summary = { ok: result.ok, entriesChecked: result.entriesChecked, lastSeq: result.lastSeq, lastHash: result.lastHash, firstBreak: result.firstBreak ?? null };
  print(flags.output, summary, () => [
    {
      ok: result.ok,
      entries: result.entriesChecked,
      lastSeq: result.lastSeq,
      breakAt: result.firstBreak?.seq ?? '',
      kind: result.firstBreak?.kind ?? '',
    },
  ]);
  if (result.firstBreak) {
    process.stderr.write(`elevate: audit chain broken at seq ${result.firstBreak.seq} (${result.firstBreak.kind}): ${result.firstBreak.message}\n`);
    process.exitCode = 1;
  }
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('Inspect the tamper-evident audit log');
  audit
    .command('verify')
    .description('Recompute the audit hash chain: exit 0 when intact, 1 at the first broken entry, 2 on a usage or file error')
    .option('--db <file>', 'SQLite database file (default: ELEVATE_DB_PATH, else ./data/elevate.db)')
    .addOption(outputOption())
    .action((flags: VerifyFlags) => verifyCommand(flags));
}
