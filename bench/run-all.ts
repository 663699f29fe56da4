/**
 * Runs every benchmark in its own process (so peak RSS and JIT state of one do not leak into
 * the next), collects the Markdown each prints on stdout, and writes bench/RESULTS.md with the
 * date and machine. Progress goes to stderr as each one runs.
 */
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

function runOne(file: string): Promise<{ file: string; ok: boolean; markdown: string; seconds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', join(here, file)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ file, ok: code === 0, markdown: out.trim(), seconds });
    });
  });
}

const results = [];
for (const [i, file] of files.entries()) {
  process.stderr.write(`\n[bench ${i + 1}/${files.length}] ${file}\n`);
  const r = await runOne(file);
  process.stderr.write(`[bench ${i + 1}/${files.length}] ${file}: ${r.ok ? 'done' : 'FAILED'} in ${r.seconds.toFixed(1)} s\n`);
  results.push(r);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const header = [
  '# Benchmark results',
  '',
  `Run on ${new Date().toISOString().slice(0, 10)} with \`npm run bench\`: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, Node ${process.version}.`,
  '',
  'These machines are shared and noisy: every figure is measured next to a peer in the same run, and the ratios are what to compare across runs.',
  '',
].join('\n');
const body = results
  .map((r) => (r.ok ? r.markdown : `### ${r.file}\n\nFAILED (see the run's stderr); no figures recorded.`))
  .join('\n\n');
if (only.length === 0) writeFileSync(join(here, 'RESULTS.md'), `${header}\n${body}\n`);
else process.stdout.write(`${body}\n`);
process.exitCode = results.every((r) => r.ok) ? 0 : 1;
