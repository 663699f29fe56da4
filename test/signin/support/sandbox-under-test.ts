import { sandboxInfo, sandboxUser } from '../../support/sandbox-context.ts';
import type { SandboxTestInfo } from '../../support/sandbox-context.ts';

/** The sandbox test/global-setup.ts started for this run. */
export function sandboxUnderTest(): SandboxTestInfo {
  return sandboxInfo();
}

/** The seeded accounts the sign-in tests use. */
export function seededUsers(_sandbox?: SandboxTestInfo) {
  return {
    admin: sandboxUser('admin'),
    standard: sandboxUser('standard'),
    reader: sandboxUser('reader'),
    auditor: sandboxUser('auditor'),
    noRole: sandboxUser('norole'),
    personal: sandboxUser('personal'),
    guest: sandboxUser('guest'),
  };
}
