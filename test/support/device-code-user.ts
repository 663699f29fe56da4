import { sandboxInfo } from './sandbox-context.ts';

/**
 * A person at the sandbox's device login page (its https://microsoft.com/devicelogin): opens the
 * verification URI, types the code a CLI printed, and picks an account or presses Cancel, the way
 * a browser posts those forms.
 */

const decode = (s: string) => s.replace(/&#(\d+);/g, (_m, c: string) => String.fromCharCode(Number(c))).replace(/&amp;/g, '&');

export interface DevicePageOutcome {
  status: number;
  text: string;
}

function plain(html: string): string {
  return decode(html.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
}

export async function enterDeviceCode(
  verificationUri: string,
  userCode: string,
  opts: { user?: string; cancel?: boolean; users?: Array<{ key: string; upn: string; oid: string }> } = {},
): Promise<DevicePageOutcome> {
  const entry = await fetch(verificationUri);
  if (entry.status !== 200) throw new Error(`device login page answered ${entry.status}`);
  const entryHtml = await entry.text();
  const codeAction = decode(/<form method="post" action="([^"]+)"/.exec(entryHtml)![1]!);
  const picker = await fetch(codeAction, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ otc: userCode }) });
  const pickerHtml = await picker.text();
  if (picker.status !== 200 || (!opts.user && !opts.cancel)) return { status: picker.status, text: plain(pickerHtml) };
  const flow = decode(/name="flow" value="([^"]+)"/.exec(pickerHtml)![1]!);
  const action = decode(/<form method="post" action="([^"]+)"/.exec(pickerHtml)![1]!);
  const body = new URLSearchParams({ flow });
  if (opts.cancel) body.set('cancel', '1');
  else {
    const wanted = opts.user!.toLowerCase();
    const users = opts.users ?? sandboxInfo().tenant.users;
    const user = users.find((u) => u.key === wanted || u.upn.toLowerCase() === wanted || u.oid === wanted);
    if (!user) throw new Error(`no sandbox user ${opts.user}`);
    body.set('user', user.oid);
  }
  const done = await fetch(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
  return { status: done.status, text: plain(await done.text()) };
}

/** The code and page in a device code `message` ("... open the page URL and enter the code CODE ..."). */
export function parseDeviceCodeMessage(message: string): { verificationUri: string; userCode: string } | undefined {
  const m = /open the page (\S+) and enter the code ([A-Z0-9]+)/.exec(message);
  return m ? { verificationUri: m[1]!, userCode: m[2]! } : undefined;
}
