// Allocations, credits and the usage ledger: the API function, usage ingestion (also invoked
// directly by the connectors), the daily expiry job and the outbox relay.
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
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

  /** Lets a principal (the connectors' role) invoke usage ingestion directly. */
  grantIngest(grantee: iam.IGrantable): void {
    this.fn.grantInvoke(grantee);
  }
}
