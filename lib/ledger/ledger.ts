// Allocations, credits and the usage ledger: the API function, usage ingestion (also invoked
// directly by the connectors), the daily expiry job and the outbox relay.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { METRIC_NAMESPACE } from '../../lambdas/shared/metrics';
import { ledgerApi } from '../../lambdas/ledger/api';
import { KairrFunction, type FunctionDefaults } from '../platform/kairr-function';
import type { KairrApi } from '../platform/rest-api';
import type { DataTables } from '../platform/tables';
import type { KairrEventBus } from '../platform/event-bus';
import { ScheduledJob } from '../platform/scheduled-job';

export interface LedgerProps {
  api: KairrApi;
  tables: DataTables;
  bus: KairrEventBus;
  defaults: FunctionDefaults;
  corsAllowOrigins: string[];
}

export class Ledger extends Construct {
  readonly fn: KairrFunction;
  readonly jobs: ScheduledJob[];

  constructor(scope: Construct, id: string, props: LedgerProps) {
    super(scope, id);
    this.fn = new KairrFunction(this, 'Api', {
      entry: 'lambdas/ledger/handler.ts',
      description: 'KAIRR allocations, ledger and usage ingestion',
      defaults: props.defaults,
      memorySize: 512,
      timeout: Duration.seconds(29),
      environment: { CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(',') },
    });
    props.tables.bindMain(this.fn, 'RW');
    props.tables.bindAudit(this.fn, 'append+read');
    props.bus.bindPublisher(this.fn);
    props.api.addRoutes(ledgerApi, this.fn);

    const expiry = new ScheduledJob(this, 'Expiry', {
      entry: 'lambdas/ledger/expiry-job.ts',
      description: 'KAIRR: expire allocations at their end date',
      schedule: events.Schedule.cron({ minute: '5', hour: '0' }),
      defaults: props.defaults,
      key: props.tables.key,
    });
    const relay = new ScheduledJob(this, 'OutboxRelay', {
      entry: 'lambdas/shared/events/relay-job.ts',
      description: 'KAIRR: publish domain events left in the outbox',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      defaults: props.defaults,
      key: props.tables.key,
      timeout: Duration.minutes(2),
      memorySize: 256,
    });
    for (const j of [expiry, relay]) {
      props.tables.bindMain(j.fn, 'RW');
      props.tables.bindAudit(j.fn, 'append+read');
      props.bus.bindPublisher(j.fn);
    }
    this.jobs = [expiry, relay];
  }

  // ---- parked usage ----
  /**
   * An alarm per site when the ledger parks usage it refused (lambdas/ledger/parked.ts emits the
   * EMF metric KAIRR/ParkedUsageReports): that usage waits for an operator to fix its cause and
   * replay it, and is charged to no one until then.
   */
  alarmOnParkedUsage(topic: sns.ITopic, stage: string, siteIds: string[]): void {
    for (const siteId of siteIds) {
      const alarm = new cloudwatch.Alarm(this, `ParkedUsage${siteId.replace(/[^A-Za-z0-9]/g, '')}`, {
        metric: new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName: 'ParkedUsageReports', dimensionsMap: { Stage: stage, Site: siteId }, period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `The ledger parked usage reports of ${siteId} it refused: list them (GET /v1/sites/${siteId}/usage/parked), fix the cause, replay them`,
      });
      alarm.addAlarmAction(new actions.SnsAction(topic));
    }
  }
  // ---- end parked usage ----

  /** Lets a principal (the connectors' role) invoke usage ingestion directly. */
  grantIngest(grantee: iam.IGrantable): void {
    this.fn.grantInvoke(grantee);
  }
}
