import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

/** Debian's Chromium; playwright-core drives it instead of downloading its own browser. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of Debian's chromium, installing the package when it is missing (root is available
 * on the test machines and in CI, whose .ci/run does the same before the tests).
 */
export function ensureChromium(): string {
  if (executable(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // apt holds its own lock; concurrent test workers wait on it rather than fail.
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
  if (!executable(DEBIAN_CHROMIUM)) throw new Error(`chromium was installed but ${DEBIAN_CHROMIUM} is still missing`);
  return DEBIAN_CHROMIUM;
}
