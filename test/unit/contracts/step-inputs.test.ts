// State machine step inputs against the definitions that build them: every Task of approval.asl.json
// and provisioning.asl.json passes exactly the fields its step's schema names (a definition that
// drifts from the code fails here, not in a running flow), and each handler refuses a malformed
// input with a named error before any step runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlowStepSchema } from '../../../lambdas/approval/flow-steps';
import { handler as flowHandler } from '../../../lambdas/approval/flow-handler';
import { StepInputSchema } from '../../../lambdas/connectors/provisioning/inputs';
import { handler as provisioningHandler } from '../../../lambdas/connectors/provisioning/handler';
import { MalformedEventError } from '../../../lambdas/domain/errors';

type State = { Type: string; Resource?: string; Parameters?: Record<string, unknown>; ItemSelector?: Record<string, unknown>; ItemProcessor?: { States: Record<string, State> }; Iterator?: { States: Record<string, State> } };

/** Each Task's payload (Parameters, or Parameters.Payload for lambda:invoke; "$" is the Map's ItemSelector). */
function payloads(file: string): Record<string, unknown>[] {
  const def = JSON.parse(readFileSync(join(__dirname, '../../../statemachines', file), 'utf8')) as { States: Record<string, State> };
  const out: Record<string, unknown>[] = [];
  const walk = (states: Record<string, State>, selector?: Record<string, unknown>) => {
    for (const s of Object.values(states)) {
      if (s.Type === 'Task') {
        const p = s.Parameters ?? {};
        const payload = 'FunctionName' in p ? (p['Payload.$'] === '$' ? selector : p.Payload) : p;
        if (!payload) throw new Error(`a task passes "$" outside a Map: ${JSON.stringify(p)}`);
        out.push(payload as Record<string, unknown>);
      }
      const inner = s.ItemProcessor ?? s.Iterator;
      if (inner) walk(inner.States, s.ItemSelector);
    }
  };
  walk(def.States);
  return out;
}

const fieldsOf = (payload: Record<string, unknown>) =>
  Object.keys(payload)
    .map((k) => k.replace(/\.\$$/, ''))
    .sort();
type Shape = Record<string, { def: { type: string; values?: unknown[] } }>;
const shapeOf = (schema: { def: { options: readonly { def: { shape: Shape } }[] } }, key: string, value: unknown): Shape => {
  const option = schema.def.options.find((o) => o.def.shape[key].def.values?.includes(value));
  if (!option) throw new Error(`no schema for ${key} ${String(value)}`);
  return option.def.shape;
};

test.each([
  ['approval.asl.json', FlowStepSchema, 'step'],
  ['provisioning.asl.json', StepInputSchema, 'action'],
] as const)('every task of %s passes exactly the fields its step schema names', (file, schema, key) => {
  const tasks = payloads(file);
  expect(tasks.length).toBeGreaterThanOrEqual(file.startsWith('approval') ? 12 : 4);
  for (const p of tasks) {
    const shape = shapeOf(schema as never, key, p[key]);
    const fields = fieldsOf(p);
    const required = Object.keys(shape).filter((k) => shape[k].def.type !== 'optional');
    expect({ step: p[key], unknown: fields.filter((f) => !(f in shape)) }).toEqual({ step: p[key], unknown: [] });
    expect({ step: p[key], missing: required.filter((f) => !fields.includes(f)) }).toEqual({ step: p[key], missing: [] });
  }
});

async function refusal(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error;
}

describe('the approval flow handler', () => {
  test.each([
    ['an unknown step', { step: 'approveEverything', proposalId: 'prop-1', round: 1 }, 'step'],
    ['no step', { proposalId: 'prop-1', round: 1 }, 'step'],
    ['a round that is a string', { step: 'check', proposalId: 'prop-1', round: '1' }, 'round'],
    ['no proposal', { step: 'award', round: 1 }, 'proposalId'],
    ['a wait without its task token', { step: 'awaitReview', assignmentId: 'asg-1' }, 'taskToken'],
    ['a field the definition does not pass', { step: 'remind', assignmentId: 'asg-1', proposalId: 'prop-1' }, 'proposalId'],
  ])('refuses %s with a MalformedEventError naming the field', async (_what, input, path) => {
    const e = await refusal(flowHandler(input));
    expect(e).toBeInstanceOf(MalformedEventError);
    expect(e.name).toBe('MalformedEventError');
    expect((e as MalformedEventError).details.map((d) => d.path)).toContain(path);
  });

  test('refuses no input at all', async () => {
    expect(await refusal(flowHandler(undefined))).toBeInstanceOf(MalformedEventError);
  });
});

describe('the provisioning step handler', () => {
  const event = { allocationId: 'alloc-1', eventType: 'AllocationAwarded', eventId: 'ev-1' };
  test.each([
    ['an unknown action', { action: 'destroy', ...event }, 'action'],
    ['no allocation', { action: 'plan', eventType: 'AllocationAwarded' }, 'allocationId'],
    ['an apply without its resource', { action: 'apply', ...event }, 'resourceKey'],
    ['a record whose applied results lack a field', { action: 'record', ...event, applied: [{ resourceKey: 'spc/h200', siteId: 'spc', account: 'a', changes: [], deferred: [] }] }, 'applied[0].exists'],
    ['a fail without the failure', { action: 'fail', ...event }, 'failure'],
  ])('refuses %s as Connector.Permanent, caused by a MalformedEventError naming the field', async (_what, input, path) => {
    const e = await refusal(provisioningHandler(input));
    // the definition's Retry matches Connector.Transient only: a malformed input is not retried
    expect(e.name).toBe('Connector.Permanent');
    expect(e.cause).toBeInstanceOf(MalformedEventError);
    expect((e.cause as MalformedEventError).details.map((d) => d.path)).toContain(path);
  });
});
