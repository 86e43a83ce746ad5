// Accountability for awards: the API function (obligations, reports, tranches, reclaims, listing
// preferences, and the public record without a token), the daily job (reminders, holds, automatic
// returns, the idle scan, the public aggregates), the rule that sends its notices to the existing
// notifications topic, and per-route throttling of the public routes.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { accountabilityApi } from '../../lambdas/accountability/api';
import { KairrFunction, type FunctionDefaults } from '../platform/kairr-function';
import type { KairrApi } from '../platform/rest-api';
import type { DataTables } from '../platform/tables';
import type { KairrEventBus } from '../platform/event-bus';
import { ScheduledJob } from '../platform/scheduled-job';
import { acknowledge } from '../nag';

/** The notices that reach the notifications topic (PIs, chairs and staff subscribe there). */
export const ACCOUNTABILITY_NOTICES = ['ReportReminder', 'ReportSubmitted', 'ReportReviewed', 'IdleWarning', 'ReclaimProposed', 'ReclaimAnswered', 'ReclaimDecided', 'CreditsReclaimed', 'UnlistingRequested'];

export interface AccountabilityProps {
  api: KairrApi;
  tables: DataTables;
  bus: KairrEventBus;
  defaults: FunctionDefaults;
  corsAllowOrigins: string[];
  /** The existing notifications topic (the approval construct's). */
  notifications: sns.ITopic;
  publicThrottle: { rateLimit: number; burstLimit: number };
}

export class Accountability extends Construct {
  readonly apiFn: KairrFunction;
  readonly daily: ScheduledJob;

  constructor(scope: Construct, id: string, props: AccountabilityProps) {
    super(scope, id);
    this.apiFn = new KairrFunction(this, 'Api', {
      entry: 'lambdas/accountability/handler.ts',
      description: 'KAIRR accountability: reports, tranches, holds, idle credits, the public record',
      defaults: props.defaults,
      memorySize: 512,
      timeout: Duration.seconds(29),
      environment: { CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(',') },
    });
    props.tables.bindMain(this.apiFn, 'RW');
    props.tables.bindAudit(this.apiFn, 'append+read');
    props.bus.bindPublisher(this.apiFn);
    props.api.addRoutes(accountabilityApi, this.apiFn);
    for (const route of Object.values(accountabilityApi)) {
      if (route.auth === 'public') props.api.throttleRoute(route.method, route.path, props.publicThrottle.rateLimit, props.publicThrottle.burstLimit);
    }

    this.daily = new ScheduledJob(this, 'Daily', {
      entry: 'lambdas/accountability/daily-job.ts',
      description: 'KAIRR: report reminders and holds, automatic returns, the idle scan, the public aggregates',
      schedule: events.Schedule.cron({ minute: '15', hour: '0' }),
      defaults: props.defaults,
      key: props.tables.key,
      timeout: Duration.minutes(15),
      memorySize: 1024,
    });
    props.tables.bindMain(this.daily.fn, 'RW');
    props.tables.bindAudit(this.daily.fn, 'append+read');
    props.bus.bindPublisher(this.daily.fn);

    const undelivered = new sqs.Queue(this, 'UndeliveredNotices', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.tables.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(undelivered, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the accountability notices rule; a DLQ of a DLQ would only move the same messages again.');
    acknowledge(undelivered, 'Serverless-SQSRedrivePolicy', 'This queue is itself the dead-letter queue of the accountability notices rule; nothing consumes it, so there is nothing to redrive.');
    new events.Rule(this, 'Notify', {
      eventBus: props.bus.bus,
      description: 'KAIRR: accountability notices (report reminders and reviews, idle warnings, returns) to the notifications topic',
      eventPattern: { source: ['kairr'], detailType: ACCOUNTABILITY_NOTICES },
      // A role, as approval's rule does: without it CDK grants events.amazonaws.com the topic's key
      // with no aws:SourceAccount/aws:SourceArn (lib/platform/key-policy.ts).
      targets: [new targets.SnsTopic(props.notifications, { deadLetterQueue: undelivered, retryAttempts: 8, maxEventAge: Duration.hours(24), authorizeUsingRole: true })],
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
    return [this.apiFn, this.daily.fn];
  }
}
