// Action messages inside the end-to-end channel. An action request is an
// envelope (kind + params); the params are validated against the schema that
// the kind's domain registers with the agent's action router (protocol/files.ts,
// protocol/terminal.ts, protocol/fixes.ts).
import { z } from 'zod';
import { ActionKind, ActionPreview, DecisionBasis, GrantInfo } from '../consent';

const RequestId = z.string().min(1).max(64);
const ErrorBody = { code: z.string().max(64), message: z.string().max(2000) };

/** Engineer -> agent: ask for an action. */
export const ActionRequestMessage = z.object({
  type: z.literal('action.request'),
  requestId: RequestId,
  kind: ActionKind,
  params: z.record(z.string(), z.unknown()),
});

/** Engineer -> agent: withdraw a request that is still waiting (or stop one that runs). */
export const ActionCancelMessage = z.object({
  type: z.literal('action.cancel'),
  requestId: RequestId,
});

/** Agent -> engineer: the request is waiting for the approver; this is what they see. */
export const ActionPendingMessage = z.object({
  type: z.literal('action.pending'),
  requestId: RequestId,
  preview: ActionPreview,
  decideBy: z.number().int(),
});

/** Agent -> engineer: allowed (by the approver, a session grant or a standing consent); it runs now. */
export const ActionAllowedMessage = z.object({
  type: z.literal('action.allowed'),
  requestId: RequestId,
  digest: z.string(),
  basis: DecisionBasis,
});

/** Agent -> engineer: denied, with the rule or person that denied it. */
export const ActionDeniedMessage = z.object({
  type: z.literal('action.denied'),
  requestId: RequestId,
  basis: DecisionBasis,
  ...ErrorBody,
});

/** Agent -> engineer: progress of a running action (bytes or steps). */
export const ActionProgressMessage = z.object({
  type: z.literal('action.progress'),
  requestId: RequestId,
  done: z.number().nonnegative(),
  total: z.number().nonnegative().optional(),
  stage: z.string().max(100).optional(),
});

/** Agent -> engineer: the action finished; `result` is the kind's result schema. */
export const ActionResultMessage = z.object({
  type: z.literal('action.result'),
  requestId: RequestId,
  result: z.record(z.string(), z.unknown()),
});

/** Agent -> engineer: the action failed after it was allowed (or its request was invalid). */
export const ActionErrorMessage = z.object({
  type: z.literal('action.error'),
  requestId: RequestId,
  ...ErrorBody,
});

/** Agent -> engineer: the approver revoked a session grant. */
export const GrantRevokedMessage = z.object({ type: z.literal('grant.revoked'), grant: GrantInfo });

/** Engineer -> agent: list the session grants in force. Agent answers with `grant.list`. */
export const GrantListRequestMessage = z.object({
  type: z.literal('grant.list-request'),
  requestId: RequestId,
});
export const GrantListMessage = z.object({
  type: z.literal('grant.list'),
  requestId: RequestId,
  grants: z.array(GrantInfo),
});

export const ACTION_MESSAGES = [
  ActionRequestMessage,
  ActionCancelMessage,
  ActionPendingMessage,
  ActionAllowedMessage,
  ActionDeniedMessage,
  ActionProgressMessage,
  ActionResultMessage,
  ActionErrorMessage,
  GrantRevokedMessage,
  GrantListRequestMessage,
  GrantListMessage,
] as const;
