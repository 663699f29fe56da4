/**
 * What the start page shows, shaped for the template: plain values, links built here. Which
 * sections exist depends on the viewer's role (the loader leaves out what they may not see);
 * the template only prints what it is given.
 */
import type { DriftStatus } from '../levels/drift-status.ts';
import type { Agent, OperationRequest } from '../operations/operation-types.ts';
import { approvalHref, STATE_LABELS, timeLeft } from './pages/approval-view-models.ts';
import { shortArmPath } from './present/short-labels.ts';

export type Tone = 'success' | 'error' | 'warning' | 'info' | 'neutral';

export interface HomeRequestItem {
  id: string;
  href: string;
  method: string;
  path: string;
  pathShort: string;
  agentName: string;
  kind: 'elevation' | 'consent' | 'other';
  state: string;
  stateLabel: string;
  tone: Tone;
  at: string;
  timeLeft?: string | undefined;
}

export interface HomeAgentItem {
  name: string;
  href: string;
  level: string;
  runModeCeiling: string;
  resourceGroups: number;
  drift: { state: DriftStatus['state']; label: string; tone: Tone; detail?: string | undefined; checkedAt?: string | undefined };
}

export interface HomeModel {
  title: string;
  summary?: string;
  signedIn?: boolean;
  /** Signed out: where the sign-in call to action points. */
  signInHref?: string;
  /** Approval:read. */
  pending?: { count: number; items: HomeRequestItem[]; canDecide: boolean };
  /** Approval:read. */
  decisions?: HomeRequestItem[];
  /** Agent:read. */
  agents?: HomeAgentItem[];
  /** Shortcuts the viewer may follow (audit, API reference). */
  links?: Array<{ label: string; href: string; description: string }>;
}

const STATE_TONES: Record<OperationRequest['state'], Tone> = {
  pending_consent: 'warning',
  pending_elevation: 'warning',
  approved: 'info',
  executing: 'info',
  succeeded: 'success',
  failed: 'error',
  denied: 'error',
  // ARM may or may not have done it: someone must look it up by its correlation id
  outcome_unknown: 'warning',
  expired: 'neutral',
  cancelled: 'neutral',
};

const kindOf = (r: OperationRequest): HomeRequestItem['kind'] =>
  r.decision.outcome === 'pending_elevation' ? 'elevation' : r.decision.outcome === 'pending_consent' ? 'consent' : 'other';

export function homeRequestItem(r: OperationRequest, agentName: string | undefined, now: Date, at: 'created' | 'updated'): HomeRequestItem {
  return {
    id: r.id,
    href: approvalHref(r.id),
    method: r.operation.method,
    path: r.operation.path,
    pathShort: shortArmPath(r.operation.path),
    agentName: agentName ?? r.agentId,
    kind: kindOf(r),
    state: r.state,
    stateLabel: STATE_LABELS[r.state],
    tone: STATE_TONES[r.state],
    at: at === 'created' ? r.createdAt : r.updatedAt,
    timeLeft: at === 'created' ? timeLeft(r.expiresAt, now) : undefined,
  };
}

const DRIFT: Record<DriftStatus['state'], { label: string; tone: Tone }> = {
  'in-sync': { label: 'In sync', tone: 'success' },
  drift: { label: 'Drift', tone: 'error' },
  'changes-pending': { label: 'Apply needed', tone: 'warning' },
  unknown: { label: 'Unknown', tone: 'neutral' },
};

export function homeAgentItem(agent: Agent, drift: DriftStatus | undefined): HomeAgentItem {
  const d = drift ?? { state: 'unknown' as const, driftCount: 0, pendingChanges: 0, checkedAt: '', reason: 'not checked yet' };
  const detail =
    d.state === 'drift'
      ? `${d.driftCount} assignment${d.driftCount === 1 ? '' : 's'} beyond its level${d.effectiveLevel ? `: effectively ${d.effectiveLevel}` : ''}`
      : d.state === 'changes-pending'
        ? `${d.pendingChanges} role assignment change${d.pendingChanges === 1 ? '' : 's'} to apply`
        : d.state === 'unknown'
          ? d.reason
          : undefined;
  return {
    name: agent.name,
    href: `/agents/${encodeURIComponent(agent.name)}`,
    level: agent.level,
    runModeCeiling: agent.runModeCeiling,
    resourceGroups: agent.resourceGroupIds.length,
    drift: { state: d.state, ...DRIFT[d.state], detail, checkedAt: d.checkedAt || undefined },
  };
}
