import type { z } from 'zod';
import type { PolicyPath } from './policy-yaml.ts';

/** One thing wrong in a policy file, before it is given its file name and line. */
export interface PolicyIssue {
  path: PolicyPath;
  message: string;
}

/** `resourceTypes.Microsoft.App/containerApps.Privileged[0]` */
export function formatPolicyPath(path: PolicyPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

export function formatPolicyIssue(file: string, issue: PolicyIssue, line: number | undefined): string {
  const where = issue.path.length > 0 ? `${formatPolicyPath(issue.path)}: ` : '';
  return `${file}: ${where}${issue.message}${line !== undefined ? ` (line ${line})` : ''}`;
}

/**
 * Fallback wording for issues the schemas did not word themselves. Passed to `safeParse`, so a
 * message set on a schema still wins.
 */
export const policyErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${typeNoun(issue.expected)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' ? `expected at least ${issue.minimum} entries` : `expected at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array' ? `expected at most ${issue.maximum} entries` : `expected at most ${issue.maximum}`;
    case 'unrecognized_keys':
      return `unknown key '{key}'`;
    default:
      return undefined;
  }
};

/** Turns zod's issues into one line each, with the offending key in the path. */
export function issuesFromZod(error: z.ZodError): PolicyIssue[] {
  const out: PolicyIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) out.push({ path: [...path, key], message: issue.message.replace('{key}', key) });
        break;
      case 'invalid_key': {
        const inner = issue.issues[0];
        out.push({ path, message: `${inner ? inner.message : issue.message}, got ${describeValue(issue.input)}` });
        break;
      }
      case 'invalid_type':
      case 'invalid_value':
      case 'invalid_format': {
        // YAML has no undefined (an empty value is null), so undefined input means the key is absent.
        const input = (issue as { input?: unknown }).input;
        out.push({
          path,
          message: input === undefined ? `missing; ${issue.message}` : `${issue.message}, got ${describeValue(input)}`,
        });
        break;
      }
      default:
        out.push({ path, message: issue.message });
    }
  }
  return out;
}

function typeNoun(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    default:
      return expected;
  }
}

/** Short and always one line: JSON escapes newlines, and long values are cut. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
    return `'${shown.slice(1, -1)}'`;
  }
  return String(value);
}
