// A function run on a schedule (EventBridge rule), with its own dead-letter queue for runs that
// keep failing, and retries. Asynchronous invocation: the DLQ is required.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { KairrFunction, type FunctionDefaults } from './kairr-function';
import { acknowledge } from '../nag';
import { allowServicesToUseKey } from './key-policy';

export interface ScheduledJobProps {
  entry: string;
  description: string;
  schedule: events.Schedule;
  defaults: FunctionDefaults;
  key: kms.IKey;
  timeout?: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
}

export class ScheduledJob extends Construct {
  readonly fn: KairrFunction;
  readonly rule: events.Rule;
  readonly deadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: ScheduledJobProps) {
    super(scope, id);
    this.deadLetters = new sqs.Queue(this, 'DeadLetters', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(this.deadLetters, 'AwsSolutions-SQS3', 'This queue is the dead-letter queue of a scheduled job; runs that keep failing stay here for operators, nothing re-drives them.');
    acknowledge(this.deadLetters, 'Serverless-SQSRedrivePolicy', 'This queue is the dead-letter queue of a scheduled job; a redrive policy on a DLQ would only move the same failed runs again.');
    this.fn = new KairrFunction(this, 'Fn', {
      entry: props.entry,
      description: props.description,
      defaults: props.defaults,
      timeout: props.timeout ?? Duration.minutes(5),
      memorySize: props.memorySize ?? 512,
      environment: props.environment,
      invocation: 'async',
      deadLetterQueue: this.deadLetters,
    });
    this.rule = new events.Rule(this, 'Schedule', { schedule: props.schedule, description: props.description });
    this.rule.addTarget(new targets.LambdaFunction(this.fn, { retryAttempts: 2, maxEventAge: Duration.hours(1), deadLetterQueue: this.deadLetters }));
    // EventBridge writes failed deliveries to the encrypted DLQ.
    allowServicesToUseKey(props.key, ['events.amazonaws.com']);
  }
}
