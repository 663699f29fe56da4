import { isRunMode, isTriggerKind, RUN_MODES, type RunMode, type TriggerKind } from './policy-types.ts';
import type { RunModesPolicy } from './run-modes-schema.ts';

/**
 * The run mode for one agent run: the policy's mode for what triggered it, capped by the agent's
 * own ceiling (ReadOnly < Review < Autonomous). Throws RangeError on a trigger kind or ceiling
 * outside the vocabulary; callers validate input first, so that is a bug, and nothing runs.
 */
export function resolveRunMode(triggerKind: TriggerKind, agentCeiling: RunMode, policies: { runModes: RunModesPolicy }): RunMode {
  if (!isTriggerKind(triggerKind)) throw new RangeError(`unknown trigger kind ${JSON.stringify(triggerKind)}`);
  if (!isRunMode(agentCeiling)) throw new RangeError(`unknown run mode ${JSON.stringify(agentCeiling)}`);
  const wanted = policies.runModes.triggers[triggerKind];
  return RUN_MODES.indexOf(wanted) <= RUN_MODES.indexOf(agentCeiling) ? wanted : agentCeiling;
}

export type RunModeDecision = 'allow' | 'needs-consent' | 'refuse';

/**
 * What a run mode does with one operation. Reads always run; a write is refused in ReadOnly,
 * waits for a person's consent in Review, and runs in Autonomous. Anything unrecognised refuses.
 */
export function runModeAllows(mode: RunMode, isWrite: boolean): RunModeDecision {
  if (!isRunMode(mode)) return 'refuse';
  if (isWrite !== true && isWrite !== false) return 'refuse';
  if (!isWrite) return 'allow';
  switch (mode) {
    case 'ReadOnly':
      return 'refuse';
    case 'Review':
      return 'needs-consent';
    case 'Autonomous':
      return 'allow';
  }
}
