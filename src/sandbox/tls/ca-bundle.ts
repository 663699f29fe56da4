import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from './atomic-file.ts';

/** Where the system's trust store usually lives on Debian-like systems. */
export const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** The bundle file: point NODE_EXTRA_CA_CERTS here (at process start) to trust the sandbox. */
export function sandboxCaBundlePath(dataDir: string): string {
  return join(resolve(dataDir), 'ca-bundle.pem');
}

/**
 * Writes `ca-bundle.pem` = the extra CA file the process currently uses (its NODE_EXTRA_CA_CERTS,
 * passed in by the caller, which owns the environment) or else the system bundle, followed by the
 * sandbox CA. Node reads NODE_EXTRA_CA_CERTS once, so replacing that variable with this bundle
 * keeps whatever the developer already trusted (a corporate proxy's CA, say) and adds the sandbox.
 * A base that is this very bundle (a process re-executed with it) is not folded in again.
 */
export function writeCaBundle(dataDir: string, sandboxCaPem: string, currentExtraCaFile?: string): string {
  const bundlePath = sandboxCaBundlePath(dataDir);
  let base = '';
  const candidate = currentExtraCaFile && resolve(currentExtraCaFile) !== bundlePath ? currentExtraCaFile : SYSTEM_CA_BUNDLE;
  if (existsSync(candidate)) base = readFileSync(candidate, 'utf8');
  else if (candidate !== SYSTEM_CA_BUNDLE && existsSync(SYSTEM_CA_BUNDLE)) base = readFileSync(SYSTEM_CA_BUNDLE, 'utf8');
  const parts = [base.trimEnd(), '# Elevate sandbox local CA', sandboxCaPem.trim()].filter((p) => p.length > 0);
  writeFileAtomic(bundlePath, `${parts.join('\n')}\n`);
  return bundlePath;
}
