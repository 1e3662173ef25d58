import type { CliContext } from '../cli-context.ts';
import { renderDocument } from '../format/index.ts';
import type { GatewayReply } from '../gateway-client.ts';
import { CliFailure, ExitCode } from '../exit-code.ts';

/** The gateway accepted the action (200 done, 202 scheduled or queued). */
export function accepted(reply: GatewayReply): boolean {
  return reply.status === 200 || reply.status === 202;
}

/** A cluster-wide action's answer: its message, or {status, message} as JSON/YAML; exit 1 if refused. */
export function reportAction(context: CliContext, reply: GatewayReply): void {
  const message = reply.text.trim();
  if (context.format === 'pretty') {
    if (accepted(reply)) context.out(message);
  } else {
    context.out(renderDocument({ status: reply.status, message }, context.format));
  }
  if (!accepted(reply))
    throw new CliFailure(ExitCode.refused, `refused with status ${reply.status}: ${message}`);
}

export interface MemberOutcome {
  readonly member: string;
  readonly reply: GatewayReply;
}

/** Per-member outcomes in patronictl's words; exit 1 when any member refused. */
export function reportMemberActions(
  context: CliContext,
  action: string,
  outcomes: readonly MemberOutcome[],
): void {
  if (context.format === 'pretty') {
    for (const { member, reply } of outcomes) {
      const message = reply.text.trim();
      context.out(
        accepted(reply)
          ? `Success: ${action} on member ${member}: ${message}`
          : `Failed: ${action} for member ${member}, status code=${reply.status}, (${message})`,
      );
    }
  } else {
    const rows = outcomes.map(({ member, reply }) => ({
      member,
      status: reply.status,
      message: reply.text.trim(),
    }));
    context.out(renderDocument(rows, context.format));
  }
  const failed = outcomes.filter(({ reply }) => !accepted(reply)).map(({ member }) => member);
  if (failed.length > 0)
    throw new CliFailure(ExitCode.refused, `${action} refused for ${failed.join(', ')}`);
}
