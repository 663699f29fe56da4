import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { ElevatePort } from '../elevate-port.ts';

export interface ToolContext {
  port: ElevatePort;
  /** Ends when the MCP client cancels the call or goes away. */
  signal: AbortSignal;
}

/** One MCP tool: its name, plain-words description, input schema and the use case it calls. */
export interface ToolDefinition {
  name: string;
  title: string;
  description: string;
  input: z.ZodType;
  annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint: boolean; openWorldHint: boolean };
  /** Gets the arguments exactly as the client sent them. */
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<CallToolResult>;
}
