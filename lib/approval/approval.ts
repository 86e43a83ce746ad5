// Allocation requests and committee approval: three API functions (calls; proposals; reviews and
// decisions), the approval flow (statemachines/approval.asl.json, deployed from the file with its
// task targets substituted) and its step function, and the notification topic that e-mail can
// subscribe to (submitted, assigned, reminder, decided, awarded events from the KAIRR bus).
import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { callsApi } from '../../lambdas/approval/calls-api';
import { proposalsApi } from '../../lambdas/approval/proposals-api';
import { reviewsApi } from '../../lambdas/approval/reviews-api';
import { KairrFunction, REPO_ROOT, type FunctionDefaults } from '../platform/kairr-function';
import type { KairrApi } from '../platform/rest-api';
import type { DataTables } from '../platform/tables';
import type { KairrEventBus } from '../platform/event-bus';
import { acknowledge } from '../nag';
import { STATE_MACHINE_WILDCARD_REASON, stateMachineLogs } from '../platform/state-machine-logs';
import { allowServicesToUseKey } from '../platform/key-policy';

export const APPROVAL_ASL = path.join(REPO_ROOT, 'statemachines', 'approval.asl.json');

/** The events that reach the notification topic. */
export const NOTIFIED_EVENTS = ['ProposalSubmitted', 'ReviewerAssigned', 'ReviewReminder', 'ProposalDecided', 'AllocationAwarded'];

/** How cdk-nag writes an ARN part in a finding id: the value, or <AWS::Part> for a pseudo parameter. */
const nagPart = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);

export interface ApprovalProps {
  api: KairrApi;
  tables: DataTables;
  bus: KairrEventBus;
  defaults: FunctionDefaults;
  corsAllowOrigins: string[];
  /** Subscribed to the notification topic. */
  notificationEmails: string[];
}

export class Approval extends Construct {
  /** Calls (open, edit, list, read). */
  readonly callsFn: KairrFunction;
  /** A researcher's proposals: drafts, the recommender, submission (starts the flow), withdrawal (stops it). */
  readonly proposalsFn: KairrFunction;
  /** Reviews, conflicts, the panel, replacements and decisions: answers the flow's waiting tasks. */
  readonly reviewsFn: KairrFunction;
  readonly flowFn: KairrFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: ApprovalProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.defaults.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // The machine is named after its stack (so stages do not collide), which lets the functions be
    // granted on its ARN without a reference to it: the machine refers to the flow function, and a
    // reference back from the function's policy would be a dependency cycle.
    const machineName = `${stack.stackName}-approval`;
    const machineArn = stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: machineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const executionsArn = stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${machineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    this.flowFn = new KairrFunction(this, 'Flow', {
      entry: 'lambdas/approval/flow-handler.ts',
      description: 'KAIRR approval flow steps (check, starter tier, panel, reviews, decision, award)',
      defaults: props.defaults,
      memorySize: 512,
      timeout: Duration.seconds(60),
      environment: { APPROVAL_STATE_MACHINE_ARN: machineArn },
    });
    props.tables.bindMain(this.flowFn, 'RW');
    props.tables.bindAudit(this.flowFn, 'append+read');
    props.bus.bindPublisher(this.flowFn);
    // A callback step answers its own task when the answer was already there.
    this.flowFn.allow(['states:SendTaskSuccess', 'states:SendTaskFailure'], [machineArn]);

    // The API is three functions, split by what each part of it carries and may do, so that none
    // ships the others' code (bench:bundles: one function was +143 KB over its SDK floor) and each
    // role holds only its own grants. All three write through the audited write path (main table,
    // audit appends; none reads the audit trail). Only proposals start and stop the flow; only
    // reviews and decisions answer its waiting tasks; calls publish no events.
    const apiFunction = (id: string, entry: string, description: string, environment: Record<string, string> = {}, lazyModules?: string[]) =>
      new KairrFunction(this, id, {
        entry,
        description,
        lazyModules,
        defaults: props.defaults,
        memorySize: 512,
        timeout: Duration.seconds(29),
        environment: { CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(','), ...environment },
      });

    this.callsFn = apiFunction('CallsApi', 'lambdas/approval/calls-handler.ts', 'KAIRR calls for proposals');
    props.tables.bindMain(this.callsFn, 'RW');
    props.tables.bindAudit(this.callsFn, 'append');
    props.api.addRoutes(callsApi, this.callsFn);

    this.proposalsFn = apiFunction('ProposalsApi', 'lambdas/approval/proposals-handler.ts', 'KAIRR proposals: drafts, recommendation, submission, withdrawal', { APPROVAL_STATE_MACHINE_ARN: machineArn }, [
      // the recommender, beside the bundle, loaded on the first "let KAIRR recommend"
      'lambdas/approval/recommended.ts',
    ]);
    props.tables.bindMain(this.proposalsFn, 'RW');
    props.tables.bindAudit(this.proposalsFn, 'append');
    props.bus.bindPublisher(this.proposalsFn);
    this.proposalsFn.allow(['states:StartExecution'], [machineArn]);
    this.proposalsFn.allow(['states:StopExecution'], [executionsArn]);
    acknowledge(
      this.proposalsFn.role!,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:${nagPart(stack.region, 'Region')}:${nagPart(stack.account, 'AccountId')}:execution:${machineName}:*]`,
      'A withdrawal stops the running approval execution of that proposal; execution names are per proposal and round, so the grant covers the executions of this one state machine and nothing else.',
    );
    props.api.addRoutes(proposalsApi, this.proposalsFn);

    this.reviewsFn = apiFunction('ReviewsApi', 'lambdas/approval/reviews-handler.ts', 'KAIRR reviews, conflicts of interest and committee decisions');
    props.tables.bindMain(this.reviewsFn, 'RW');
    props.tables.bindAudit(this.reviewsFn, 'append');
    props.bus.bindPublisher(this.reviewsFn);
    // A review or a decision answers the flow task that waits for it (task tokens of this machine).
    this.reviewsFn.allow(['states:SendTaskSuccess'], [machineArn]);
    props.api.addRoutes(reviewsApi, this.reviewsFn);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: machineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(APPROVAL_ASL),
      definitionSubstitutions: { FlowFunctionArn: this.flowFn.functionArn },
      tracingEnabled: true,
      logs: stateMachineLogs(this, 'StateMachineLogs', props.defaults),
    });
    this.flowFn.grantInvoke(this.stateMachine);
    acknowledge(
      this.stateMachine.role,
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.flowFn.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      "CDK's grantInvoke also covers the flow function's versions and aliases (ARN:*); the definition invokes the unqualified ARN of this one function.",
    );
    acknowledge(this.stateMachine.role, 'AwsSolutions-IAM5[Resource::*]', STATE_MACHINE_WILDCARD_REASON);

    // ---- notifications ----
    const key = new kms.Key(this, 'NotificationsKey', { enableKeyRotation: true, description: 'KAIRR approval notifications (topic and its dead letters)', removalPolicy });
    allowServicesToUseKey(key, ['events.amazonaws.com', 'sns.amazonaws.com']);
    this.topic = new sns.Topic(this, 'Notifications', { displayName: 'KAIRR approval notifications', masterKey: key, enforceSSL: true });
    const undelivered = new sqs.Queue(this, 'Undelivered', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(undelivered, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the notification rule and e-mail subscriptions; a DLQ of a DLQ would only move the same messages again.');
    acknowledge(undelivered, 'Serverless-SQSRedrivePolicy', 'This queue is itself the dead-letter queue of the notification rule and e-mail subscriptions; nothing consumes it, so a redrive policy has nothing to redrive.');
    for (const email of props.notificationEmails) this.topic.addSubscription(new subs.EmailSubscription(email, { deadLetterQueue: undelivered }));
    new events.Rule(this, 'Notify', {
      eventBus: props.bus.bus,
      description: 'KAIRR: approval notifications (submitted, assigned, reminder, decided, awarded) to the topic',
      eventPattern: { source: ['kairr'], detailType: NOTIFIED_EVENTS },
      // A role, not the topic key's policy: CDK would otherwise grant events.amazonaws.com the key
      // without aws:SourceAccount/aws:SourceArn (the confused-deputy gap lib/platform/key-policy.ts closes).
      targets: [new targets.SnsTopic(this.topic, { deadLetterQueue: undelivered, retryAttempts: 8, maxEventAge: Duration.hours(24), authorizeUsingRole: true })],
    });
    const eventsRole = this.node.tryFindChild('Notify')?.node.tryFindChild('EventsRole');
    if (eventsRole)
      acknowledge(
        eventsRole,
        'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        "CDK's SnsTopic target grants the rule's role kms:GenerateDataKey* on the notifications key only (one key ARN, no resource wildcard); the family of GenerateDataKey actions is what publishing to an SSE-KMS topic needs.",
      );
  }

  get functions(): KairrFunction[] {
    return [this.callsFn, this.proposalsFn, this.reviewsFn, this.flowFn];
  }
}
