import { randomBytes } from 'node:crypto';

/**
 * The secret that signs session cookies. Azure mode requires it in config (load-config enforces
 * that); in sandbox mode an unset secret is generated per start, which signs everyone out on
 * restart, an acceptable cost for a local sandbox.
 */
export function resolveSessionSecret(configured: string | undefined, mode: 'sandbox' | 'azure'): string {
  if (configured) return configured;
  if (mode === 'azure') throw new Error('ELEVATE_SESSION_SECRET: required when AZURE_TENANT_ID is set (at least 32 random characters)');
  return randomBytes(32).toString('base64url');
}
