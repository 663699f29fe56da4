import { z } from 'zod';
import { RUN_MODES, TRIGGER_KINDS, type RunMode, type TriggerKind } from './policy-types.ts';
import { orList, strictMapping } from './policy-schema-parts.ts';

/** run-modes.yaml: how much latitude an agent run gets, by what started it. */

const runMode = z.enum(RUN_MODES, { error: `expected a run mode: ${orList(RUN_MODES)}` });

export const runModesSchema = strictMapping({
  triggers: strictMapping(
    Object.fromEntries(TRIGGER_KINDS.map((kind) => [kind, runMode])) as Record<TriggerKind, typeof runMode>,
    'trigger kind',
  ),
});

export type RunModesFile = z.infer<typeof runModesSchema>;

export interface RunModesPolicy {
  triggers: Record<TriggerKind, RunMode>;
}
