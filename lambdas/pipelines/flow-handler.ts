// The pipeline flow's one Lambda step (statemachines/pipeline.asl.json): the payload's action names
// the step; flow.ts does the work.
import * as z from 'zod/mini';
import { plan, start, startFailed, wait } from './flow';

const Ids = { pipelineId: z.string().check(z.regex(/^pipe-[0-9a-z]{26}$/)), executionId: z.string().check(z.minLength(1), z.maxLength(80)) };
const Payload = z.discriminatedUnion('action', [
  z.object({ action: z.literal('plan'), ...Ids }),
  z.object({ action: z.literal('start'), ...Ids, stageId: z.string() }),
  z.object({ action: z.literal('start-failed'), ...Ids, stageId: z.string(), error: z.object({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }) }),
  z.object({ action: z.literal('wait'), ...Ids, seenVersion: z.number(), taskToken: z.string().check(z.minLength(1)) }),
]);

export async function handler(event: unknown): Promise<unknown> {
  const p = Payload.parse(event);
  switch (p.action) {
    case 'plan':
      return plan(p.pipelineId, p.executionId);
    case 'start':
      return start(p.pipelineId, p.executionId, p.stageId);
    case 'start-failed':
      return startFailed(p.pipelineId, p.executionId, p.stageId, p.error);
    case 'wait':
      return wait(p.pipelineId, p.seenVersion, p.taskToken);
  }
}
