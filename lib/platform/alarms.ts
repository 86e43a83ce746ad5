// Operations alarms: an encrypted SNS topic with the stage's alarm e-mail subscribed, and alarms on
// API 5xx responses and on every function's errors and throttles.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import type { KairrFunction } from './kairr-function';
import { acknowledge } from '../nag';

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
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com'), new iam.ServicePrincipal('sns.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
  }

  watchApi(api: apigw.RestApi): void {
    const alarm = new cloudwatch.Alarm(this, 'Api5xx', {
      metric: api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 5,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: 'The KAIRR API answered 5xx more than 5 times in 5 minutes',
    });
    alarm.addAlarmAction(this.action);
  }

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
