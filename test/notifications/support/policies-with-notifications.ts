import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** A copy of the shipped policies/ folder whose notifications.yaml is `yaml`, for ELEVATE_POLICIES_DIR. */
export function policiesWithNotifications(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-policies-'));
  for (const f of readdirSync(resolve('policies'))) if (f.endsWith('.yaml')) copyFileSync(resolve('policies', f), join(dir, f));
  writeFileSync(join(dir, 'notifications.yaml'), yaml);
  return dir;
}
