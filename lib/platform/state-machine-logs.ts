// Execution logs of a state machine: a log group of its own (the stage's retention), every event
// (level ALL: which state ran, when, and how it ended), and never the execution data — a proposal's
// or an allocation's contents stay in DynamoDB and in Step Functions' own history, not in CloudWatch.
// The volume is small: an approval runs a few dozen states, a provisioning event a handful. Step Functions delivers these
// logs through CloudWatch Logs' vended-log deliveries, whose API (logs:*LogDelivery,
// logs:PutResourcePolicy, ...) has no resource-level permissions: CDK grants those actions on "*"
// to the state machine's role, and to no other role (test/infra/foundation.test.ts).
import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FunctionDefaults } from './kairr-function';

/** The actions CDK grants on "*" to a state machine's role for log delivery. */
export const LOG_DELIVERY_ACTIONS = [
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
];

export function stateMachineLogs(scope: Construct, id: string, defaults: FunctionDefaults): sfn.LogOptions {
  const destination = new logs.LogGroup(scope, id, {
    retention: defaults.logRetentionDays as logs.RetentionDays,
    removalPolicy: defaults.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  return { destination, level: sfn.LogLevel.ALL, includeExecutionData: false };
}

/** The reason given for the state machine role's wildcard resource (cdk-nag AwsSolutions-IAM5). */
export const STATE_MACHINE_WILDCARD_REASON =
  'Two services without resource-level permissions, and nothing else: X-Ray tracing of the state machine (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets) and the CloudWatch Logs delivery of its execution logs (logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups), which act on log deliveries rather than on a log group.';
