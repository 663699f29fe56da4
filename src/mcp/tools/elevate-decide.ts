import { decisionResult, errorResult, toolResult } from '../tool-results.ts';
import { operationToolInput } from '../tool-schemas.ts';
import { submissionFrom } from './submission-arguments.ts';
import type { ToolDefinition } from './tool-definition.ts';

export const elevateDecide: ToolDefinition = {
  name: 'elevate_decide',
  title: 'Ask Elevate what would happen',
  description: [
    'Asks Elevate what it would decide for one Azure Resource Manager (ARM) operation, without doing anything: no request is created and Azure is not called.',
    'Outcomes: "execute" means Elevate would run it now with your own identity; "pending_elevation" means your identity lacks a permission (missingAction) and an administrator would have to approve, with wouldBeGrantedBy listing the smallest built-in roles that grant it; "pending_consent" means a person must consent first; "forbidden" means a guardrail or the run mode refuses it and nobody can approve it.',
    'path is an ARM resource path inside one of your managed resource groups; justification is required for anything but GET.',
  ].join(' '),
  input: operationToolInput,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, { port, signal }) {
    const result = await port.decide(submissionFrom(args), { signal });
    return result.ok ? toolResult(decisionResult(result.value)) : errorResult(result.error);
  },
};
