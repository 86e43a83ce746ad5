// The approval capability in the synthesized template: the deployed definition IS the ASL file
// (after substitution), every task target is granted to the state machine's role, the functions
// can reach the machine they are told about (each of the three API functions only as far as its
// part needs), and notifications go to an encrypted, SSL-only topic.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { synthStage, statementsByRole, actionsOf, type Synth } from './support/synth';
import { APPROVAL_ASL, NOTIFIED_EVENTS, type Approval } from '../../lib/approval/approval';
import type { CfnElement } from 'aws-cdk-lib';
import { routeOperationsOf } from './support/api-body';
import { approvalApi } from '../../lambdas/approval/api';
import { callsApi } from '../../lambdas/approval/calls-api';
import { proposalsApi } from '../../lambdas/approval/proposals-api';
import { reviewsApi } from '../../lambdas/approval/reviews-api';

let local: Synth;
let example: Synth;
beforeAll(() => {
  local = synthStage('local');
  example = synthStage('example', (c) => ({ ...c, notifications: { emails: ['committee@kairr.example.kr', 'ops@kairr.example.kr'] } }));
});

type Resource = { Type: string; Properties: Record<string, any> };

function machine(s: Synth): [string, Resource] {
  const all = Object.entries(s.template.findResources('AWS::StepFunctions::StateMachine')).filter(([id]) => id.startsWith('Approval'));
  expect(all).toHaveLength(1);
  return all[0] as [string, Resource];
}

/** The file asset a DefinitionS3Location points at, from the cloud assembly's asset manifests. */
function assetText(s: Synth, objectKey: string): string {
  const dir = s.app.synth().directory;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.assets.json'))) {
    const manifest = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { files?: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }> };
    for (const file of Object.values(manifest.files ?? {})) {
      if (Object.values(file.destinations).some((d) => d.objectKey === objectKey)) return readFileSync(join(dir, file.source.path), 'utf8');
    }
  }
  throw new Error(`no asset with object key ${objectKey}`);
}

/** Every Task state, nested Map and Parallel states included. */
function tasks(states: Record<string, any>): [string, any][] {
  const out: [string, any][] = [];
  for (const [name, st] of Object.entries(states)) {
    if (st.Type === 'Task') out.push([name, st]);
    if (st.Type === 'Map') out.push(...tasks((st.ItemProcessor ?? st.Iterator).States));
    if (st.Type === 'Parallel') for (const b of st.Branches) out.push(...tasks(b.States));
  }
  return out;
}

const fileText = readFileSync(APPROVAL_ASL, 'utf8');

describe('the approval state machine', () => {
  it('deploys the ASL file itself, and substitutes every placeholder it uses', () => {
    for (const s of [local, example]) {
      const [, sm] = machine(s);
      expect(sm.Properties.DefinitionString).toBeUndefined();
      const deployed = assetText(s, sm.Properties.DefinitionS3Location.Key);
      expect(deployed).toBe(fileText);
      const placeholders = [...new Set([...fileText.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]))];
      expect(placeholders.sort()).toEqual(Object.keys(sm.Properties.DefinitionSubstitutions).sort());
      // After substitution (with the tokens CloudFormation resolves) it is the same JSON with the targets filled in.
      const subs = sm.Properties.DefinitionSubstitutions as Record<string, unknown>;
      const substituted = JSON.parse(fileText.replace(/\$\{([^}]+)\}/g, (_m, k: string) => `TOKEN:${JSON.stringify(subs[k]).replace(/"/g, "'")}`));
      expect(JSON.stringify(substituted)).not.toMatch(/\$\{/);
      expect(Object.keys(substituted.States)).toEqual(Object.keys(JSON.parse(fileText).States));
    }
  });

  it('uses JSONPath, and names every state once across the whole machine (branches included)', () => {
    const def = JSON.parse(fileText);
    expect(def.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    const names: string[] = [];
    const walk = (states: Record<string, any>) => {
      for (const [n, st] of Object.entries(states)) {
        names.push(n);
        if (st.Type === 'Map') walk(st.ItemProcessor.States);
      }
    };
    walk(def.States);
    expect(new Set(names).size).toBe(names.length);
  });

  it("grants the state machine's role every task target it invokes, and nothing it does not", () => {
    for (const s of [local, example]) {
      const [, sm] = machine(s);
      const subs = sm.Properties.DefinitionSubstitutions as Record<string, any>;
      const def = JSON.parse(fileText);
      const targets = new Set<string>();
      for (const [name, t] of tasks(def.States)) {
        const target: string = t.Resource.startsWith('arn:aws:states:::lambda:invoke') ? t.Parameters.FunctionName : t.Resource;
        const m = /^\$\{([^}]+)\}$/.exec(target);
        expect({ name, target, placeholder: !!m }).toEqual({ name, target, placeholder: true });
        targets.add(m![1]);
      }
      const roleId = sm.Properties.RoleArn['Fn::GetAtt'][0];
      const stmts = statementsByRole(s.template).get(roleId) ?? [];
      for (const key of targets) {
        const fnArn = subs[key];
        expect(fnArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ApprovalFlow/), 'Arn'] });
        const granted = stmts.some((st) => actionsOf(st).includes('lambda:InvokeFunction') && ([] as unknown[]).concat(st.Resource).some((r) => JSON.stringify(r) === JSON.stringify(fnArn)));
        expect({ key, granted }).toEqual({ key, granted: true });
      }
      const invoked = stmts.filter((st) => actionsOf(st).includes('lambda:InvokeFunction')).flatMap((st) => ([] as unknown[]).concat(st.Resource).map((r) => JSON.stringify(r)));
      for (const r of invoked) expect(r).toMatch(/ApprovalFlow/);
    }
  });

  it('is a traced STANDARD machine named after its stack, and the functions that reach it are told exactly that ARN', () => {
    const [, sm] = machine(local);
    expect(sm.Properties).toMatchObject({ StateMachineType: 'STANDARD', StateMachineName: 'Kairr-local-approval', TracingConfiguration: { Enabled: true } });
    const fns = Object.entries(local.template.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith('Approval'));
    expect(fns.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['ApprovalCallsApi', 'ApprovalFlow', 'ApprovalProposalsApi', 'ApprovalReviewsApi']);
    // The flow and proposals (which start and stop executions) need the ARN; a task token is all a review or a decision needs.
    const told = fns.filter(([, fn]) => (fn as Resource).Properties.Environment.Variables.APPROVAL_STATE_MACHINE_ARN !== undefined);
    expect(told.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['ApprovalFlow', 'ApprovalProposalsApi']);
    for (const [, fn] of told) {
      const arn = JSON.stringify((fn as Resource).Properties.Environment.Variables.APPROVAL_STATE_MACHINE_ARN);
      expect(arn).toMatch(/:states:ap-northeast-2:.*:stateMachine:Kairr-local-approval/);
    }
  });

  it('lets proposals start and stop executions, reviews and decisions answer tasks, the flow answer its own, calls none, on this machine only', () => {
    const roles = statementsByRole(local.template);
    const roleOf = (prefix: string) => [...roles.entries()].find(([id]) => id.startsWith(prefix))![1];
    const states = (stmts: ReturnType<typeof roleOf>) => stmts.filter((st) => actionsOf(st).some((a) => a.startsWith('states:')));
    const proposals = states(roleOf('ApprovalProposalsApiRole'));
    expect(proposals.flatMap(actionsOf).sort()).toEqual(['states:StartExecution', 'states:StopExecution']);
    for (const st of proposals) expect(JSON.stringify(st.Resource)).toMatch(actionsOf(st).includes('states:StopExecution') ? /execution:Kairr-local-approval:\*/ : /stateMachine:Kairr-local-approval"/);
    const reviews = states(roleOf('ApprovalReviewsApiRole'));
    expect(reviews.flatMap(actionsOf)).toEqual(['states:SendTaskSuccess']);
    expect(JSON.stringify(reviews[0].Resource)).toMatch(/stateMachine:Kairr-local-approval"/);
    expect(states(roleOf('ApprovalCallsApiRole'))).toEqual([]);
    const flow = states(roleOf('ApprovalFlowRole'));
    expect(flow.flatMap(actionsOf).sort()).toEqual(['states:SendTaskFailure', 'states:SendTaskSuccess']);
  });

  it('gives the API functions the main table, audit appends only (no reads of the trail), and the bus where they publish', () => {
    const roles = statementsByRole(local.template);
    const roleOf = (prefix: string) => [...roles.entries()].find(([id]) => id.startsWith(prefix))![1];
    const on = (stmts: ReturnType<typeof roleOf>, table: RegExp) =>
      stmts
        .filter((st) => table.test(JSON.stringify(st.Resource)))
        .flatMap(actionsOf)
        .sort();
    for (const prefix of ['ApprovalCallsApiRole', 'ApprovalProposalsApiRole', 'ApprovalReviewsApiRole']) {
      const stmts = roleOf(prefix);
      expect({ prefix, main: on(stmts, /"DataMain/) }).toEqual({ prefix, main: expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem']) });
      expect({ prefix, audit: on(stmts, /"DataAudit/) }).toEqual({ prefix, audit: ['dynamodb:ConditionCheckItem', 'dynamodb:PutItem'] });
      // Submitted, assigned, decided: proposals and reviews publish; calls never do.
      expect({ prefix, bus: stmts.flatMap(actionsOf).includes('events:PutEvents') }).toEqual({ prefix, bus: prefix !== 'ApprovalCallsApiRole' });
    }
  });
});

describe('notifications', () => {
  it('go to a KMS-encrypted topic that refuses non-SSL publishing', () => {
    const topics = Object.entries(local.template.findResources('AWS::SNS::Topic')).filter(([id]) => id.startsWith('ApprovalNotifications'));
    expect(topics).toHaveLength(1);
    const [topicId, topic] = topics[0] as [string, Resource];
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    local.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('carry the submitted, assigned, reminder, decided and awarded events from the KAIRR bus, with a dead-letter queue', () => {
    expect(NOTIFIED_EVENTS).toEqual(['ProposalSubmitted', 'ReviewerAssigned', 'ReviewReminder', 'ProposalDecided', 'AllocationAwarded']);
    local.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: Match.anyValue(),
      EventPattern: { source: ['kairr'], 'detail-type': NOTIFIED_EVENTS },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^ApprovalNotifications') }, DeadLetterConfig: { Arn: Match.anyValue() }, RetryPolicy: Match.anyValue() })],
    });
  });

  it('are e-mailed to the addresses in the stage config (none by default)', () => {
    const ofApproval = (s: Synth) =>
      Object.entries(s.template.findResources('AWS::SNS::Subscription'))
        .filter(([id]) => id.startsWith('Approval'))
        .map(([, r]) => r as Resource);
    expect(ofApproval(local)).toHaveLength(0);
    const subs = ofApproval(example);
    expect(subs.map((x) => [x.Properties.Protocol, x.Properties.Endpoint]).sort()).toEqual([
      ['email', 'committee@kairr.example.kr'],
      ['email', 'ops@kairr.example.kr'],
    ]);
  });
});

describe('the API', () => {
  it('routes each part of the approval API to its own function: calls, proposals, reviews and decisions', () => {
    const approval = local.stack.node.findChild('Approval') as Approval;
    const opsOf = (fn: Approval['callsFn']) => {
      const id = local.stack.getLogicalId(fn.node.defaultChild as CfnElement);
      return routeOperationsOf(local.template)
        .filter((o) => o.functionId === id)
        .map((o) => o.operationId)
        .sort();
    };
    expect(opsOf(approval.callsFn)).toEqual(Object.keys(callsApi).sort());
    expect(opsOf(approval.proposalsFn)).toEqual(Object.keys(proposalsApi).sort());
    expect(opsOf(approval.reviewsFn)).toEqual(Object.keys(reviewsApi).sort());
    // Every approval route (the combined spec the OpenAPI document reads) is served, by exactly one of them.
    expect([...opsOf(approval.callsFn), ...opsOf(approval.proposalsFn), ...opsOf(approval.reviewsFn)].sort()).toEqual(
      [
        'createCall',
        'createProposal',
        'decide',
        'declareConflict',
        'getCall',
        'getDecision',
        'getProposal',
        'listAssignments',
        'listCalls',
        'listProposals',
        'listReviews',
        'replaceReviewer',
        'submitProposal',
        'submitReview',
        'updateCall',
        'updateProposal',
        'withdrawProposal',
      ].sort(),
    );
    expect(Object.keys(approvalApi).sort()).toEqual([...Object.keys(callsApi), ...Object.keys(proposalsApi), ...Object.keys(reviewsApi)].sort());
    // The recommender's "let KAIRR recommend" is a proposals route.
    expect(Object.keys(proposalsApi)).toEqual(['listProposals', 'createProposal', 'getProposal', 'updateProposal', 'submitProposal', 'withdrawProposal']);
  });
});
