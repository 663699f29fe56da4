import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { environmentWithCaBundle, currentExtraCaFile, isCaReexecChild, processTrustsCaBundle } from '../config/sdk-environment.ts';
import { writeCaBundle } from '../sandbox/tls/ca-bundle.ts';
import { ensureSandboxTls } from '../sandbox/tls/sandbox-tls.ts';
import { ServiceStartError } from './service-start-error.ts';

export type SandboxTrust = { trusted: true; bundlePath: string } | { trusted: false; bundlePath: string };

/**
 * Makes sure the sandbox CA and a CA bundle exist, and says whether this process already trusts
 * it. MSAL, the identity library and the ARM SDK all reach the sandbox over https, and Node reads
 * NODE_EXTRA_CA_CERTS only at start, so an untrusting process must be re-executed.
 */
export function prepareSandboxTrust(dataDir: string): SandboxTrust {
  const tls = ensureSandboxTls(dataDir);
  const bundlePath = writeCaBundle(dataDir, tls.caCertPem, currentExtraCaFile());
  // A CA created just now is not in the bundle this process loaded, even if the path matches.
  const trusted = processTrustsCaBundle(bundlePath) && !tls.createdCa;
  if (!trusted && isCaReexecChild()) {
    throw new ServiceStartError(`NODE_EXTRA_CA_CERTS: this process was re-executed with ${bundlePath} but still does not trust the sandbox CA; remove ${dataDir} and start again`);
  }
  return { trusted, bundlePath };
}

/**
 * Runs this same command again in a child that trusts the bundle from its first instruction,
 * with the same stdio; signals are forwarded and the child's exit code becomes ours.
 */
export function reexecWithCaBundle(bundlePath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: environmentWithCaBundle(bundlePath),
    });
    const forward = (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    child.once('error', (err) => reject(new ServiceStartError(`cannot re-execute with the sandbox CA bundle: ${err.message}`)));
    child.once('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1));
    });
  });
}
