import { describe, expect, it } from 'vitest';
import { redactedPath, redactedUrl } from '../../src/web/redacted-url.ts';

const CALLBACK = ['/auth/callback'];

describe('redactedUrl', () => {
  it('keeps only the parameter names of a sign-in callback', () => {
    expect(redactedUrl('/auth/callback?code=0.AXoA-secret-code&state=Zk9Xy1&session_state=abc', CALLBACK)).toBe(
      '/auth/callback?code=[redacted]&state=[redacted]&session_state=[redacted]',
    );
    // an error response too: error_description may quote the request
    expect(redactedUrl('/auth/callback?error=access_denied&error_description=AADSTS50105+user+x', CALLBACK)).toBe('/auth/callback?error=[redacted]&error_description=[redacted]');
  });

  it('matches the callback as Express routes it: any case, trailing slash', () => {
    expect(redactedUrl('/AUTH/Callback/?code=c0de&state=s', CALLBACK)).toBe('/AUTH/Callback/?code=[redacted]&state=[redacted]');
  });

  it('drops a bare value or an odd name on a callback entirely', () => {
    expect(redactedUrl('/auth/callback?0.AXoA-secret-code', CALLBACK)).toBe('/auth/callback?[redacted]');
    expect(redactedUrl('/auth/callback?c%6Fde=x', CALLBACK)).toBe('/auth/callback?[redacted]');
  });

  it('redacts credential parameters on any other path, and leaves the rest', () => {
    expect(redactedUrl('/approvals/x?code=abc&page=2&STATE=s&Access_Token=t', CALLBACK)).toBe('/approvals/x?code=[redacted]&page=2&STATE=[redacted]&Access_Token=[redacted]');
    expect(redactedUrl('/audit/entries?c%6Fde=abc', CALLBACK)).toBe('/audit/entries?c%6Fde=[redacted]');
  });

  it('leaves a URL without a query alone', () => {
    expect(redactedUrl('/auth/callback', CALLBACK)).toBe('/auth/callback');
    expect(redactedUrl('/approvals/1', CALLBACK)).toBe('/approvals/1');
  });

  it('redacts an alert source\'s secret in the path, in any case, with or without a query', () => {
    expect(redactedPath('/api/v1/alerts/sources/pager/s3cr3t-value')).toBe('/api/v1/alerts/sources/pager/[redacted]');
    expect(redactedPath('/API/V1/Alerts/Sources/Pager/s3cr3t-value/')).toBe('/API/V1/Alerts/Sources/Pager/[redacted]/');
    expect(redactedUrl('/api/v1/alerts/sources/pager/s3cr3t-value?x=1', CALLBACK)).toBe('/api/v1/alerts/sources/pager/[redacted]?x=1');
    expect(redactedUrl('/api/v1/alerts/sources/pager/s3cr3t-value', CALLBACK)).toBe('/api/v1/alerts/sources/pager/[redacted]');
    // The HMAC form has no secret in its path; other paths are left alone.
    expect(redactedPath('/api/v1/alerts/sources/grafana')).toBe('/api/v1/alerts/sources/grafana');
    expect(redactedPath('/api/v1/alerts/azure-monitor')).toBe('/api/v1/alerts/azure-monitor');
  });
});
