/**
 * ARM's answer as the model sees it: values under secret-looking keys (keys, passwords,
 * connection strings, SAS tokens, ...; e.g. what a listKeys POST returns) are replaced, and the
 * result is cut to a bounded size with a note saying so. The agent still gets the full body from
 * the API; the model's context never does.
 */

export const MAX_MODEL_BODY_CHARS = 8_000;

const SECRET_KEY = /(secret|password|passwd|pwd|token|key$|keys$|primarykey|secondarykey|connectionstring|sas|credential|privatekey|certificate)/i;

/** A copy with secret-looking values replaced; iterative, so a deep body cannot blow the stack. */
export function redactSecrets(value: unknown): unknown {
  const root: { v: unknown } = { v: undefined };
  const stack: Array<{ from: unknown; set: (v: unknown) => void }> = [{ from: value, set: (v) => (root.v = v) }];
  while (stack.length > 0) {
    const { from, set } = stack.pop()!;
    if (Array.isArray(from)) {
      const out: unknown[] = new Array(from.length);
      set(out);
      from.forEach((item, i) => stack.push({ from: item, set: (v) => (out[i] = v) }));
    } else if (from !== null && typeof from === 'object') {
      const out: Record<string, unknown> = {};
      set(out);
      for (const [k, item] of Object.entries(from as Record<string, unknown>)) {
        // Each key is placed now, in order; its value is filled in when the walk reaches it.
        out[k] = undefined;
        if (SECRET_KEY.test(k) && item !== null && (typeof item === 'string' || typeof item === 'object')) out[k] = '[redacted by Elevate]';
        else stack.push({ from: item, set: (v) => (out[k] = v) });
      }
    } else {
      set(from);
    }
  }
  return root.v;
}

export interface BoundedBody {
  body?: unknown;
  /** The body as text, cut, when it was too large to show whole. */
  bodyPreview?: string;
  note?: string;
}

/**
 * Actions whose whole answer is a secret, whatever its keys are called: Container Apps'
 * listSecrets answers `[{ name, value }]`, App Service's `config/list` the app settings,
 * `publishxml` a publishing profile with credentials, AKS's list*Credential a kubeconfig. A key
 * deny-list cannot know every such shape, so for these the model gets no body at all.
 */
const SECRET_ACTION = /\/(?:(?:list|regenerate|get|fetch|generate|rotate|reset|retrieve)[a-z]*(?:keys?|secrets?|credentials?|passwords?|sas|tokens?|connectionstrings?|kubeconfigs?|publishingprofile)[a-z]*|publishxml|config\/list)\/action$/i;

/** Whether ARM's answer to `action` (an RBAC action such as Microsoft.App/containerApps/listSecrets/action) is withheld from the model. */
export function isSecretAction(action: string | undefined): boolean {
  return action !== undefined && SECRET_ACTION.test(action);
}

/** `action`: the RBAC action the request ran, when known; a secret-returning one keeps the whole body from the model. */
export function boundedArmBody(body: unknown, max = MAX_MODEL_BODY_CHARS, action?: string): BoundedBody {
  if (body === undefined) return {};
  if (isSecretAction(action)) return { note: `ARM's answer to ${action} carries secrets, so it is not shown to the model. The agent API returns it.` };
  const redacted = redactSecrets(body);
  const text = JSON.stringify(redacted);
  const redactedNote = JSON.stringify(body) !== text ? 'Values under secret-looking keys were replaced; the agent API returns the full body.' : undefined;
  if (text.length <= max) return { body: redacted, ...(redactedNote ? { note: redactedNote } : {}) };
  return {
    bodyPreview: text.slice(0, max),
    note: [`ARM's body is ${text.length} characters; only the first ${max} are shown. Read the request through the agent API for all of it.`, redactedNote].filter(Boolean).join(' '),
  };
}
