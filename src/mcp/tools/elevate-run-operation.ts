import { isFinalState } from '../../client/request-states.ts';
import { errorResult, requestView, toolResult } from '../tool-results.ts';
import { runOperationToolInput, waitSecondsSchema } from '../tool-schemas.ts';
import { argumentRefusal } from './argument-refusal.ts';
import { submissionFrom } from './submission-arguments.ts';
import type { ToolDefinition } from './tool-definition.ts';

/** How long the tool waits for the operation by default, within one long-poll's cap. */
export const DEFAULT_RUN_WAIT_SECONDS = 30;

export const elevateRunOperation: ToolDefinition = {
  name: 'elevate_run_operation',
  title: 'Run an Azure operation through Elevate',
  description: [
    'Asks Elevate to perform one Azure Resource Manager (ARM) operation with your identity, then waits up to waitSeconds (default 30) for it to finish.',
    'Answers: outcome "succeeded" with ARM\'s answer in arm; "failed" when ARM refused or failed it (arm and error say why); "executing" when a long-running operation is still going (call elevate_wait); "waiting_for_approval" when your identity lacks the permission or a person must consent: the answer carries requestId and approvalPage for the administrator, nothing has run yet, call elevate_wait with requestId and do not submit it again; "refused" when Elevate refused it (error.code: forbidden for a guardrail or the run mode, invalid_request for bad input).',
    'justification is required for anything but GET and is shown to the administrator as you wrote it. Pass the same idempotencyKey to repeat a call safely.',
  ].join(' '),
  input: runOperationToolInput,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  async run(args, { port, signal }) {
    let waitSeconds = DEFAULT_RUN_WAIT_SECONDS;
    if (args.waitSeconds !== undefined) {
      const parsed = waitSecondsSchema.safeParse(args.waitSeconds);
      if (!parsed.success) return argumentRefusal(parsed.error);
      waitSeconds = parsed.data;
    }
    const submitted = await port.submit(submissionFrom(args, ['waitSeconds']), { signal });
    if (!submitted.ok) return errorResult(submitted.error);
    let request = submitted.value;
    if (!isFinalState(request.state) && waitSeconds > 0) {
      const waited = await port.wait(request.id, { timeoutSeconds: waitSeconds, signal });
      // The submission stands whatever the wait did: answer with the latest state known.
      if (waited.ok) request = waited.value;
    }
    return toolResult(requestView(request, port.approvalPageUrl));
  },
};
