import { describe, expect, it } from 'vitest';
import { parseClientInfo } from '../../src/signin/client-info.ts';

const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const HOME = '6418fbe7-886c-4f64-b8e9-200ab1dfaf1c';

describe('parseClientInfo', () => {
  it('reads uid and utid (lower-cased)', () => {
    expect(parseClientInfo(encode({ uid: '4D9DB008-EF44-4B23-AE36-ACBFA64FB57C', utid: HOME }))).toEqual({ oid: '4d9db008-ef44-4b23-ae36-acbfa64fb57c', tenantId: HOME });
    expect(parseClientInfo(encode({ uid: '00000000-0000-0000-23c3-94dd18bb42ae', utid: '9188040d-6c67-4c5b-b112-36a304b66dad' }))?.tenantId).toBe('9188040d-6c67-4c5b-b112-36a304b66dad');
  });

  it('refuses anything else: missing, not base64url JSON, wrong types, not GUIDs, oversized', () => {
    for (const bad of [undefined, '', 42, 'not json!', encode('x'), encode(null), encode({ uid: 'a', utid: HOME }), encode({ uid: HOME }), encode({ uid: HOME, utid: 7 }), 'A'.repeat(2000)]) {
      expect(parseClientInfo(bad)).toBeUndefined();
    }
  });
});
