import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPolicies } from '../../src/policies/load-policies.ts';
import { POLICY_FILES } from '../../src/policies/policies.ts';
import { builtinCatalog, POLICIES_DIR, policyErrorLines, shippedPolicies } from './policy-fixtures.ts';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the shipped policies folder in a temporary directory. */
function copyOfPolicies(): string {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-policies-'));
  made.push(dir);
  cpSync(POLICIES_DIR, dir, { recursive: true });
  return dir;
}

describe('loadPolicies', () => {
  it('loads the shipped folder, giving the same result as parsing its texts', () => {
    const loaded = loadPolicies(POLICIES_DIR, builtinCatalog());
    expect(loaded).toEqual(shippedPolicies());
  });

  it('ignores files that are not YAML, such as a README', () => {
    const dir = copyOfPolicies();
    writeFileSync(join(dir, 'NOTES.md'), '# notes\n');
    expect(() => loadPolicies(dir, builtinCatalog())).not.toThrow();
  });

  it('refuses a YAML file it does not know (likely a misspelt name the operator expects in force)', () => {
    const dir = copyOfPolicies();
    writeFileSync(join(dir, 'guardrail.yaml'), 'rules: []\n');
    const lines = policyErrorLines(() => loadPolicies(dir, builtinCatalog()));
    expect(lines).toEqual([`${dir}/guardrail.yaml: unknown policy file; expected only ${Object.values(POLICY_FILES).join(', ')}`]);
  });

  it('names a missing file', () => {
    const dir = copyOfPolicies();
    rmSync(join(dir, 'approvals.yaml'));
    expect(policyErrorLines(() => loadPolicies(dir, builtinCatalog()))).toEqual([
      `${dir}/approvals.yaml: file not found; expected it in the policies folder`,
    ]);
  });

  it('refuses an oversized file without parsing it, and does not also call it missing', () => {
    const dir = copyOfPolicies();
    writeFileSync(join(dir, 'run-modes.yaml'), `# ${'x'.repeat(1024 * 1024)}\n`);
    expect(policyErrorLines(() => loadPolicies(dir, builtinCatalog()))).toEqual([
      `${dir}/run-modes.yaml: file is ${1024 * 1024 + 3} bytes; expected at most ${1024 * 1024}`,
    ]);
  });

  it('names a folder that does not exist', () => {
    const dir = join(tmpdir(), 'elevate-no-such-policies-folder');
    const lines = policyErrorLines(() => loadPolicies(dir, builtinCatalog()));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\/.*elevate-no-such-policies-folder: policies folder not found; expected a folder holding levels\.yaml, /);
  });

  it('prints paths relative to the working directory when the folder is inside it', () => {
    const dir = copyOfPolicies();
    writeFileSync(join(dir, 'run-modes.yaml'), 'triggers:\n  chat: Yolo\n  incident: Review\n  scheduled: ReadOnly\n  manual: Review\n');
    const previous = process.cwd();
    process.chdir(join(dir, '..'));
    try {
      const name = dir.slice(dir.lastIndexOf('/') + 1);
      expect(policyErrorLines(() => loadPolicies(name, builtinCatalog()))).toEqual([
        `${name}/run-modes.yaml: triggers.chat: expected a run mode: ReadOnly, Review or Autonomous, got 'Yolo' (line 2)`,
      ]);
    } finally {
      process.chdir(previous);
    }
  });
});
