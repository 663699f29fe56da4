/**
 * One sender per channel of notifications.yaml, built at start from the channel and the
 * environment values its names point to. A sender renders the event for its format and makes one
 * attempt; retrying is the dispatcher's job.
 */
import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } from '@slack/webhook';
import nodemailer from 'nodemailer';
import type { NotificationChannel, NotificationsPolicy } from '../policies/notifications-schema.ts';
import { cloudEventPayload } from './cloudevent-payload.ts';
import { isPermanentHttpStatus, networkError, type DeliveryResult } from './delivery-result.ts';
import { emailContent } from './email-message.ts';
import { postJson } from './http-post-sender.ts';
import type { NotificationEvent } from './notification-event.ts';
import type { NotificationSummary } from './notification-summary.ts';
import { parseRetryAfter } from './retry-schedule.ts';
import { slackMessage } from './slack-blocks.ts';
import { teamsCard } from './teams-card.ts';
import { signatureHeader, SIGNATURE_HEADER } from './webhook-signature.ts';

export interface ChannelSender {
  readonly type: NotificationChannel['type'];
  send(event: NotificationEvent, summary: NotificationSummary): Promise<DeliveryResult>;
  close(): void;
}

export interface SenderOptions {
  timeoutMs: number;
  now: () => Date;
  /** the CloudEvents `source` (Elevate's public URL) */
  source: string;
}

export class NotificationConfigError extends Error {
  override name = 'NotificationConfigError';
}

function teamsSender(url: string, o: SenderOptions): ChannelSender {
  return {
    type: 'teams',
    send: (_event, summary) => postJson(url, JSON.stringify(teamsCard(summary)), {}, o),
    close() {},
  };
}

function webhookSender(url: string, secret: string, o: SenderOptions): ChannelSender {
  return {
    type: 'webhook',
    send(event, summary) {
      const { headers, body } = cloudEventPayload(event, summary, o.source);
      return postJson(url, body, { ...headers, [SIGNATURE_HEADER]: signatureHeader(secret, body, o.now()) }, o);
    },
    close() {},
  };
}

function slackSender(url: string, o: SenderOptions): ChannelSender {
  return {
    type: 'slack',
    async send(_event, summary) {
      // The SDK's HTTP error has no headers: its fetch is wrapped to keep Retry-After.
      let retryAfter: string | null = null;
      const webhook = new IncomingWebhook(url, {
        timeout: o.timeoutMs,
        retryConfig: { retries: 0 },
        fetch: async (u, init) => {
          const res = await fetch(u, { ...init, redirect: 'error' });
          retryAfter = res.headers.get('retry-after');
          return res;
        },
      });
      try {
        await webhook.send(slackMessage(summary));
        return { ok: true, status: 200 };
      } catch (err) {
        if (err instanceof IncomingWebhookHTTPError) {
          return { ok: false, error: `http ${err.statusCode}`, status: err.statusCode, retryAfterMs: parseRetryAfter(retryAfter, o.now()), permanent: isPermanentHttpStatus(err.statusCode) };
        }
        if (err instanceof IncomingWebhookRequestError) return { ok: false, error: networkError(err.original) };
        return { ok: false, error: networkError(err) };
      }
    },
    close() {},
  };
}

function emailSender(smtpUrl: string, channel: Extract<NotificationChannel, { type: 'email' }>, o: SenderOptions): ChannelSender {
  const transport = nodemailer.createTransport(smtpUrl, {} as never);
  // Per-attempt limits (nodemailer's defaults wait minutes).
  Object.assign(transport.options as object, { connectionTimeout: o.timeoutMs, greetingTimeout: o.timeoutMs, socketTimeout: o.timeoutMs });
  return {
    type: 'email',
    async send(_event, summary) {
      const content = emailContent(summary);
      try {
        await transport.sendMail({ from: channel.from, to: channel.to, subject: content.subject, text: content.text, html: content.html });
        return { ok: true };
      } catch (err) {
        const code = (err as { responseCode?: unknown }).responseCode;
        if (typeof code === 'number') return { ok: false, error: `smtp ${code}`, status: code, permanent: code >= 500 };
        const e = err as { code?: unknown };
        return { ok: false, error: e.code === 'ETIMEDOUT' ? 'timeout' : networkError(err) };
      }
    },
    close: () => transport.close(),
  };
}

/** Senders for every enabled channel an enabled route uses; throws NotificationConfigError naming a missing variable (never a value). */
export function createChannelSenders(policy: NotificationsPolicy, env: (name: string) => string | undefined, o: SenderOptions): Map<string, ChannelSender> {
  const senders = new Map<string, ChannelSender>();
  const need = (name: string, variable: string) => {
    const value = env(variable);
    if (!value) throw new NotificationConfigError(`policies/notifications.yaml: channel '${name}' needs the environment variable ${variable}, which is not set`);
    return value;
  };
  const url = (name: string, variable: string, protocols: RegExp) => {
    const value = need(name, variable);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new NotificationConfigError(`${variable}: expected a URL for channel '${name}'`);
    }
    if (!protocols.test(parsed.protocol)) throw new NotificationConfigError(`${variable}: channel '${name}' expects a ${String(protocols).replace(/[/^$]/g, '').replace(/\\/g, '')} URL`);
    return value;
  };
  const used = new Set(policy.routes.filter((r) => r.enabled).flatMap((r) => r.channels));
  for (const [name, c] of Object.entries(policy.channels)) {
    if (!c.enabled || !used.has(name)) continue;
    if (c.type === 'teams') senders.set(name, teamsSender(url(name, c.urlEnv, /^https?:$/), o));
    else if (c.type === 'slack') senders.set(name, slackSender(url(name, c.urlEnv, /^https?:$/), o));
    else if (c.type === 'webhook') senders.set(name, webhookSender(url(name, c.urlEnv, /^https?:$/), need(name, c.secretEnv), o));
    else senders.set(name, emailSender(url(name, c.smtpUrlEnv, /^smtps?:$/), c, o));
  }
  return senders;
}
