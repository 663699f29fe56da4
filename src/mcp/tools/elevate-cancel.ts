import { errorResult, requestView, toolResult } from '../tool-results.ts';
import { cancelToolInput } from '../tool-schemas.ts';
import { argumentRefusal } from './argument-refusal.ts';
import type { ToolDefinition } from './tool-definition.ts';

export const elevateCancel: ToolDefinition = {
  name: 'elevate_cancel',
  title: 'Withdraw a request',
  description:
    'Withdraws one of your requests that is still waiting (for approval or consent), so it will never run. A request that has started running or has finished cannot be withdrawn: the answer is refused with error.code invalid_state.',
  input: cancelToolInput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, { port, signal }) {
    const parsed = cancelToolInput.safeParse(args);
    if (!parsed.success) return argumentRefusal(parsed.error);
    const cancelled = await port.cancel(parsed.data.requestId, { signal });
    return cancelled.ok ? toolResult(requestView(cancelled.value, port.approvalPageUrl)) : errorResult(cancelled.error);
  },
};
