/**
 * vitest setupFiles entry: installs the no-egress guard in every worker (it is idempotent; the
 * workers usually have it already through NODE_OPTIONS, set by test/global-setup.ts).
 */
import { installNoEgressGuard } from './no-egress-guard.mjs';

installNoEgressGuard();
