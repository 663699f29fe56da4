import { resolve } from 'node:path';

/**
 * The few process-wide environment settings that Azure SDKs and Node itself read directly, so
 * they cannot be passed as parameters. Reading and writing them stays here, next to loadConfig,
 * so `process.env` has a single owner.
 */

/**
 * @azure/identity and msal-node read AZURE_POD_IDENTITY_AUTHORITY_HOST from process.env on every
 * managed-identity request to find IMDS. In sandbox mode it must point at the sandbox before any
 * credential is built; with a real tenant whatever the host environment provides is left alone.
 */
export function applySdkEnvironment(endpoints: { imdsEndpoint: string | undefined }): void {
  if (endpoints.imdsEndpoint) process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = endpoints.imdsEndpoint;
}

/** Marks the re-executed child so a bundle that still is not trusted cannot cause a re-exec loop. */
const REEXEC_MARKER = 'ELEVATE_CA_REEXEC';

/**
 * Node reads NODE_EXTRA_CA_CERTS once, at process start. True when this process was started with
 * exactly `bundlePath` as its extra CA file, i.e. TLS to the sandbox will verify.
 */
export function processTrustsCaBundle(bundlePath: string): boolean {
  const current = process.env.NODE_EXTRA_CA_CERTS;
  return current !== undefined && current !== '' && resolve(current) === resolve(bundlePath);
}

/** True in the child that a CA re-exec started; it must never re-exec again. */
export function isCaReexecChild(): boolean {
  return process.env[REEXEC_MARKER] === '1';
}

/** The environment for re-executing this process so Node trusts `bundlePath` from the start. */
export function environmentWithCaBundle(bundlePath: string): NodeJS.ProcessEnv {
  return { ...process.env, NODE_EXTRA_CA_CERTS: resolve(bundlePath), [REEXEC_MARKER]: '1' };
}

/** The extra CA file this process was started with, if any (kept in a rebuilt bundle). */
export function currentExtraCaFile(): string | undefined {
  const value = process.env.NODE_EXTRA_CA_CERTS;
  return value === undefined || value === '' ? undefined : value;
}
