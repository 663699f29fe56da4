/**
 * The top frames of a `node --cpu-prof` profile, as Markdown: self time by function (where the
 * CPU actually went) and self time by the nearest package or source file on the stack (whose
 * work it was: Node's own frames, e.g. a socket write, count for the code that called them).
 * Used for the before/after summaries in bench/RESULTS.md (issue 18).
 *
 *   node --import tsx bench/cpu-profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<pkg> or src/<dir>/<file>, else the node: internal or (program)/(idle). */
function where(url: string): string {
  if (!url) return '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/((?:src|bench)\/.*)$/.exec(url);
  if (src) return src[1]!;
  return url.replace(/^file:\/\//, '');
}

function summarise(path: string, top: number): string {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  // timeDeltas[i] is the time from the sample before (from the profile's start, for the first) to
  // sample i, so the time a sample stands for is the delta after it. Crediting each sample with
  // the delta before it gave the first sample the whole gap between Profiler.start and the first
  // tick: in the bench's profiles, the spawn of the load generator, credited to the inspector's
  // `dispatch` and the frames under it (the "12% native dispatch" of an earlier summary).
  p.samples.forEach((id, i) => {
    const us = i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1]! : 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + us);
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  const busy = total - idle;

  const self = new Map<string, number>();
  const nearest = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') continue;
    const name = `${f.functionName || '(anonymous)'} ${where(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    self.set(name, (self.get(name) ?? 0) + us);
    let layer = 'Node itself (no package or source file on the stack: GC, HTTP parsing, start-up)';
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const u = byId.get(n)!.callFrame.url;
      if (/node_modules\/|\/(src|bench)\//.test(u)) {
        layer = where(u);
        break;
      }
    }
    nearest.set(layer, (nearest.get(layer) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1)}%`;
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `| ${k.replace(/\|/g, '\\|')} | ${pct(us)} |`);
  return [
    `Busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s sampled (${((busy / total) * 100).toFixed(0)}%); shares below are of the busy time.`,
    '',
    '| self time: function (file:line) | share |',
    '|---|---:|',
    ...rows(self),
    '',
    '| self time by nearest package or source file | share |',
    '|---|---:|',
    ...rows(nearest),
  ].join('\n');
}

const [file, n] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: cpu-profile-summary.ts <file.cpuprofile> [top]\n');
  process.exitCode = 2;
} else {
  process.stdout.write(`${summarise(file, Number(n ?? 25))}\n`);
}
