import type { DirectoryUser } from '../state/directory.ts';

/**
 * The sandbox's sign-in page: one button per seeded user (no passwords, this is a local
 * sandbox), the hinted account first. Every value is HTML-escaped; the page loads nothing
 * external and its CSP allows only its own inline style, by nonce.
 */

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`=/]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const KIND_LABEL: Record<DirectoryUser['kind'], string> = {
  work: 'Work account',
  personal: 'Personal Microsoft account, invited as a guest',
  guest: 'Guest (external)',
};

const kindLabel = (u: DirectoryUser) => (u.invited ? KIND_LABEL[u.kind] : 'Personal Microsoft account, not invited');

export interface SignInPageModel {
  action: string;
  flowId: string;
  clientName: string;
  tenantName: string;
  users: DirectoryUser[];
  loginHint: string | undefined;
  styleNonce: string;
}

const STYLE = `
body{font-family:system-ui,sans-serif;background:#f3f2f1;margin:0}
.sandbox-banner{background:#fff8c5;color:#6c4400;border-bottom:2px solid #d4a72c;padding:8px 16px;font-size:.9rem}
.sandbox-banner strong{color:#3b2300}
main{background:#fff;margin:48px auto;padding:32px;max-width:440px;width:calc(100% - 32px);box-shadow:0 2px 6px rgba(0,0,0,.2)}
@media (max-width:480px){main{margin:16px auto;padding:20px}}
h1{font-size:1.4rem;margin:0 0 4px}p{color:#444;margin:0 0 20px}
button{display:block;width:100%;text-align:left;padding:10px 12px;margin:0 0 8px;border:1px solid #8a8886;background:#fff;cursor:pointer;font-size:1rem}
button:hover,button:focus{background:#edebe9}button:focus-visible{outline:3px solid #0067b8;outline-offset:2px}button.hinted{border:2px solid #0067b8}
small{display:block;color:#605e5c}.cancel{text-align:center;border:none;color:#0067b8}
`;

/** The same notice as on Elevate's pages: whoever lands here knows no real tenant is involved. */
const SANDBOX_BANNER =
  '<aside class="sandbox-banner" aria-label="Sandbox notice" data-testid="sandbox-banner"><strong>Sandbox tenant</strong>: a local simulation of Entra ID. No passwords: pick a seeded account. Nothing here touches a real Azure tenant.</aside>';

export function renderSignInPage(m: SignInPageModel): string {
  const hint = m.loginHint?.toLowerCase();
  const ordered = [...m.users].sort((a, b) => Number(b.upn.toLowerCase() === hint) - Number(a.upn.toLowerCase() === hint));
  const buttons = ordered
    .map((u) => {
      const hinted = u.upn.toLowerCase() === hint ? ' class="hinted"' : '';
      return `<button type="submit" name="user" value="${escapeHtml(u.oid)}"${hinted}>${escapeHtml(u.displayName)}<small>${escapeHtml(u.upn)} · ${escapeHtml(kindLabel(u))}</small></button>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in to your account (Elevate sandbox)</title><style nonce="${escapeHtml(m.styleNonce)}">${STYLE}</style></head>
<body>${SANDBOX_BANNER}<main>
<h1>Pick an account</h1>
<p>to continue to ${escapeHtml(m.clientName)} · ${escapeHtml(m.tenantName)}</p>
<form method="post" action="${escapeHtml(m.action)}">
<input type="hidden" name="flow" value="${escapeHtml(m.flowId)}">
${buttons}
<button type="submit" name="cancel" value="1" class="cancel">Cancel</button>
</form>
</main></body></html>`;
}

/** The device login page's first step: type the code the device shows (Entra's microsoft.com/devicelogin). */
export function renderDeviceCodeEntryPage(m: { action: string; styleNonce: string; error?: string | undefined }): string {
  const error = m.error ? `<p role="alert" data-testid="device-code-error">${escapeHtml(m.error)}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Enter code (Elevate sandbox)</title><style nonce="${escapeHtml(m.styleNonce)}">${STYLE}</style></head>
<body>${SANDBOX_BANNER}<main>
<h1>Enter code</h1>
<p>Enter the code displayed on your app or device.</p>${error}
<form method="post" action="${escapeHtml(m.action)}">
<label for="otc">Code</label>
<input id="otc" name="otc" autocomplete="off" autocapitalize="characters" maxlength="32" required>
<button type="submit">Next</button>
</form>
</main></body></html>`;
}

export function renderMessagePage(title: string, message: string, styleNonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style nonce="${escapeHtml(styleNonce)}">${STYLE}</style></head>
<body>${SANDBOX_BANNER}<main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body></html>`;
}

/** response_mode=form_post: an auto-submitting form to the app's redirect URI. */
export function renderFormPost(action: string, fields: Record<string, string | undefined>, scriptNonce: string): string {
  const inputs = Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Working...</title></head>
<body><form method="post" action="${escapeHtml(action)}">${inputs}<noscript><button type="submit">Continue</button></noscript></form>
<script nonce="${escapeHtml(scriptNonce)}">document.forms[0].submit()</script></body></html>`;
}
