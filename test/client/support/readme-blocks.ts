import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The first ```lang block of a README section, exactly as a reader copies it. */
export function readmeBlock(section: string, lang: string): string {
  const text = readFileSync(join(REPO, 'README.md'), 'utf8');
  const start = text.indexOf(`## ${section}\n`);
  if (start < 0) throw new Error(`no README section ${section}`);
  const end = text.indexOf('\n## ', start + 4);
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(text.slice(start, end < 0 ? undefined : end));
  if (!m) throw new Error(`no ${lang} block in README section ${section}`);
  return m[1]!;
}

/**
 * Writes a README example into the checkout (test-artifacts/, gitignored), where a reader would
 * put it: `elevate/client` and the installed packages resolve from there.
 */
export function writeExample(name: string, source: string): string {
  const dir = join(REPO, 'test-artifacts', 'readme-examples');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}
