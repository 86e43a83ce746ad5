// The accountability construct in the synthesized stack: the public routes without an authorizer and
// with their own throttling, the other routes behind the authorizer, the daily job's schedule and
// grants, the notices rule to the existing notifications topic, and cdk-nag with no findings.
import type { CfnElement } from 'aws-cdk-lib';
import { type Accountability, ACCOUNTABILITY_NOTICES } from '../../lib/accountability/accountability';
import type { Approval } from '../../lib/approval/approval';
import { accountabilityApi } from '../../lambdas/accountability/api';
import { AUTHORIZER } from '../../lib/platform/rest-api';
import { routeOperationsOf } from './support/api-body';
import { synthStage, statementsByRole, actionsOf, type Synth } from './support/synth';

let local: Synth;
let example: Synth;
beforeAll(() => {
  local = synthStage('local', undefined, { nag: true });
  example = synthStage('example', (c) => ({ ...c, policy: { ...c.policy, accountability: { ...c.policy.accountability, publicThrottleRateLimit: 7, publicThrottleBurstLimit: 9 } } }));
});

const of = (s: Synth) => s.stack.node.findChild('Accountability') as Accountability;
const idOf = (s: Synth, c: { node: { defaultChild?: unknown } }) => s.stack.getLogicalId(c.node.defaultChild as CfnElement);

it('serves every route of its spec; only the public routes go without the authorizer', () => {
  const fnId = idOf(example, of(example).apiFn);
  const mine = routeOperationsOf(example.template).filter((o) => o.functionId === fnId);
  expect(mine).toHaveLength(Object.keys(accountabilityApi).length);
  for (const [name, route] of Object.entries(accountabilityApi)) {
    const m = mine.find((x) => x.operationId === name);
    expect({ name, auth: m?.authorizer ?? 'NONE' }).toEqual({ name, auth: route.auth === 'public' ? 'NONE' : AUTHORIZER });
  }
  expect(
    Object.values(accountabilityApi)
      .filter((r) => r.auth === 'public')
      .map((r) => r.path)
      .sort(),
  ).toEqual(['/v1/public/awards', '/v1/public/awards/{allocationId}', '/v1/public/stats']);
});

it('throttles each public route on its own, below the stage, keeping the stage-wide setting', () => {
  const stage = Object.values(example.template.findResources('AWS::ApiGateway::Stage'))[0] as any;
  const settings = stage.Properties.MethodSettings as any[];
  expect(settings).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: example.config.api.throttleRateLimit }),
      expect.objectContaining({ HttpMethod: 'GET', ResourcePath: '/~1v1~1public~1awards', ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 }),
      expect.objectContaining({ HttpMethod: 'GET', ResourcePath: '/~1v1~1public~1awards~1{allocationId}', ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 }),
      expect.objectContaining({ HttpMethod: 'GET', ResourcePath: '/~1v1~1public~1stats', ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 }),
    ]),
  );
  expect(settings.filter((x) => x.ResourcePath.includes('public'))).toHaveLength(3);
});

it('runs the daily job at 00:15 UTC with a dead-letter queue, and gives it and the API exactly the table, audit and bus grants', () => {
  const a = of(example);
  const rule = example.template.toJSON().Resources[idOf(example, a.daily.rule)] as any;
  expect(rule.Properties.ScheduleExpression).toBe('cron(15 0 * * ? *)');
  expect(rule.Properties.Targets[0].DeadLetterConfig).toBeDefined();
  const roles = statementsByRole(example.template);
  for (const fn of a.functions) {
    const actions = (roles.get(idOf(example, { node: { defaultChild: fn.role!.node.defaultChild } })) ?? []).flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem', 'events:PutEvents']));
    expect(actions.filter((x) => /^(dynamodb:(UpdateItem|DeleteItem)|s3:|states:|lambda:Invoke)/.test(x) && !/dynamodb:(UpdateItem|DeleteItem)/.test(x))).toEqual([]);
  }
});

it('sends its notices to the existing notifications topic, with a dead-letter queue', () => {
  const approval = example.stack.node.findChild('Approval') as Approval;
  const topicId = idOf(example, approval.topic);
  const rules = Object.values(example.template.findResources('AWS::Events::Rule')) as any[];
  const notify = rules.find((r) => JSON.stringify(r.Properties.EventPattern?.['detail-type']) === JSON.stringify(ACCOUNTABILITY_NOTICES))!;
  expect(notify.Properties.Targets[0].Arn).toEqual({ Ref: topicId });
  expect(notify.Properties.Targets[0].DeadLetterConfig).toBeDefined();
  expect(ACCOUNTABILITY_NOTICES).toEqual(expect.arrayContaining(['ReportReminder', 'IdleWarning', 'ReclaimProposed', 'CreditsReclaimed']));
});

it('adds no cdk-nag finding without an acknowledgement', () => {
  expect(() => local.app.synth()).not.toThrow();
});
