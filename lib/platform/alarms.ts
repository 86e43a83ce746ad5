// Operations alarms: an encrypted SNS topic with the stage's alarm e-mail subscribed, and alarms on
// API 5xx responses, every function's errors, every dead-letter queue's depth and every state
// machine's failed executions.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import type { KairrFunction } from './kairr-function';
import { acknowledge } from '../nag';
import { allowServicesToUseKey } from './key-policy';

export interface AlarmsProps {
  email: string;
  key: kms.IKey;
}

export class Alarms extends Construct {
  readonly topic: sns.Topic;
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'KAIRR alarms', masterKey: props.key, enforceSSL: true });
    // Notifications SNS could not deliver (e.g. a bouncing address) are kept for 14 days.
    const undelivered = new sqs.Queue(this, 'Undelivered', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(undelivered, 'Serverless-SQSRedrivePolicy', 'This queue is itself the dead-letter queue of the alarm e-mail subscription; nothing consumes it, so a redrive policy has nothing to redrive.');
    acknowledge(undelivered, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the alarm e-mail subscription; a DLQ of a DLQ would only move the same messages again.');
    this.topic.addSubscription(new subs.EmailSubscription(props.email, { deadLetterQueue: undelivered }));
    this.action = new actions.SnsAction(this.topic);
    // CloudWatch alarms and SNS must be able to use the key of the encrypted topic and queue.
    allowServicesToUseKey(props.key, ['cloudwatch.amazonaws.com', 'sns.amazonaws.com']);
  }

  watchApi(api: apigw.RestApiBase): void {
    const alarm = new cloudwatch.Alarm(this, 'Api5xx', {
      metric: api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'The KAIRR API answered 5xx more than 5 times in 5 minutes',
    });
    alarm.addAlarmAction(this.action);
  }

  // ---- edge: dead letters and failed executions ----
  /** A message in a dead-letter queue is work KAIRR failed to do: alarm on the first one. */
  watchDeadLetters(queue: sqs.Queue): void {
    const id = queue.node.path.replace(/[^A-Za-z0-9]/g, '');
    new cloudwatch.Alarm(this, `${id}Depth`, {
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${queue.node.path} holds dead letters: a delivery or run that kept failing`,
    }).addAlarmAction(this.action);
  }

  /** An execution that failed or timed out (a withdrawal's abort is not a failure). */
  watchStateMachine(machine: sfn.StateMachine): void {
    const id = machine.node.path.replace(/[^A-Za-z0-9]/g, '');
    const failed = new cloudwatch.MathExpression({
      expression: 'failed + timedOut',
      usingMetrics: { failed: machine.metricFailed({ statistic: 'Sum' }), timedOut: machine.metricTimedOut({ statistic: 'Sum' }) },
      period: Duration.minutes(5),
      label: 'failed or timed-out executions',
    });
    new cloudwatch.Alarm(this, `${id}Failed`, {
      metric: failed,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${machine.node.path}: an execution failed or timed out`,
    }).addAlarmAction(this.action);
  }
  // ---- end edge ----

  watchFunction(fn: KairrFunction): void {
    const id = fn.node.path.replace(/[^A-Za-z0-9]/g, '');
    const errors = new cloudwatch.Alarm(this, `${id}Errors`, {
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${fn.node.path} reported errors`,
    });
    errors.addAlarmAction(this.action);
  }
}
