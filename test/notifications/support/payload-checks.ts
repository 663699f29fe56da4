/**
 * Checks every channel payload must pass, shared by the unit tests and the integration tests
 * that capture what the receivers got.
 */
import * as AC from 'adaptivecards';
import { expect } from 'vitest';
import { SLACK_LIMITS } from '../../../src/notifications/slack-blocks.ts';
import { BODY_SECRET, PASTED_TOKEN } from './notification-fixtures.ts';

/**
 * Parsed and validated by the Adaptive Cards SDK at schema version 1.4: an unknown element,
 * action or property value is a parse or validation event.
 */
export function adaptiveCardIssues(card: unknown): string[] {
  const parsed = new AC.AdaptiveCard();
  const context = new AC.SerializationContext(AC.Versions.v1_4);
  parsed.parse(card as AC.IAdaptiveCard, context);
  const issues: string[] = [];
  for (let i = 0; i < context.eventCount; i++) issues.push(context.getEventAt(i).message);
  for (const e of parsed.validateProperties().validationEvents) issues.push(e.message);
  return issues;
}

/** Block Kit limits (https://api.slack.com/reference/block-kit/blocks). */
export function slackLimitIssues(message: { text: string; blocks: Array<Record<string, any>> }): string[] {
  const issues: string[] = [];
  if (message.blocks.length > SLACK_LIMITS.blocks) issues.push('too many blocks');
  for (const b of message.blocks) {
    if (b.type === 'header' && (b.text.type !== 'plain_text' || [...b.text.text].length > SLACK_LIMITS.headerText)) issues.push('header');
    if (b.type === 'section' && [...b.text.text].length > SLACK_LIMITS.sectionText) issues.push('section text');
    if (b.type === 'section' && b.fields && b.fields.length > SLACK_LIMITS.fields) issues.push('fields');
    if (b.type === 'actions') {
      for (const el of b.elements) {
        if (el.type !== 'button' || [...el.text.text].length > SLACK_LIMITS.buttonText || el.url.length > SLACK_LIMITS.url) issues.push('button');
      }
    }
    if (!['header', 'section', 'actions', 'context', 'divider'].includes(b.type)) issues.push(`unexpected block ${b.type}`);
  }
  return issues;
}

/** Nothing secret-shaped: no bearer token, no JWT, no body value, no configured secret or channel URL. */
export function expectNoLeak(payload: string, secrets: string[] = []): void {
  expect(payload).not.toContain(BODY_SECRET);
  expect(payload).not.toContain(PASTED_TOKEN);
  expect(payload).not.toMatch(/Bearer\s+[A-Za-z0-9._-]{10,}/);
  expect(payload).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./);
  expect(payload).not.toMatch(/client_secret|clientSecret/i);
  for (const s of secrets) expect(payload).not.toContain(s);
}
