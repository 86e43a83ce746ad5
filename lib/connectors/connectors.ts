// The site connectors: the provisioning flow (allocation events on the KAIRR bus → rule → state
// machine → step function), per-site scheduled usage collection and reconciliation, and the jobs
// API. Every function that talks to a scheduler runs in the connectors' network when the stage has
// one (network.ts), reads only its sites' credentials secrets, and may only append to the audit trail.
import * as path from 'node:path';
import { Arn, ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/schema';
import { KairrFunction, REPO_ROOT, type FunctionDefaults } from '../platform/kairr-function';
import type { DataTables } from '../platform/tables';
import type { KairrEventBus } from '../platform/event-bus';
import type { KairrApi } from '../platform/rest-api';
import type { Ledger } from '../ledger/ledger';
import { acknowledge } from '../nag';
import { jobsApi } from '../../lambdas/jobs/api';
import { connectorsApi } from '../../lambdas/connectors/api';
import { siteAccountsApi } from '../../lambdas/connectors/site-accounts/api';
import { PROVISIONING_EVENT_TYPES } from '../../lambdas/connectors/provisioning/events';
import { EVENT_SOURCE } from '../../lambdas/domain/events';
import { ConnectorNetwork } from './network';
import { STATE_MACHINE_WILDCARD_REASON, stateMachineLogs } from '../platform/state-machine-logs';
import { allowServicesToUseKey } from '../platform/key-policy';

export const PROVISIONING_ASL = path.join(REPO_ROOT, 'statemachines', 'provisioning.asl.json');

export interface ConnectorsProps {
  config: StageConfig;
  api: KairrApi;
  tables: DataTables;
  bus: KairrEventBus;
  ledger: Ledger;
  defaults: FunctionDefaults;
  corsAllowOrigins: string[];
}

export class Connectors extends Construct {
  readonly network?: ConnectorNetwork;
  readonly provisioningStep: KairrFunction;
  readonly provisioning: sfn.StateMachine;
  readonly provisioningRule: events.Rule;
  readonly collector: KairrFunction;
  readonly reconciler: KairrFunction;
  readonly jobsFn: KairrFunction;
  /** Undeliverable allocation events (the rule target's DLQ) and failed scheduled runs. */
  readonly deadLetters: { events: sqs.Queue; collector: sqs.Queue; reconciler: sqs.Queue };
  readonly functions: KairrFunction[];
  /** Where a function that talks to the schedulers runs: the connectors' network, when the stage has one. */
  readonly placement: Pick<lambda.FunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'>;

  constructor(scope: Construct, id: string, props: ConnectorsProps) {
    super(scope, id);
    const cfg = props.config;
    const key = props.tables.key;
    if (cfg.connectorsVpc) {
      this.network = new ConnectorNetwork(this, 'Network', { config: cfg.connectorsVpc, sites: cfg.sites, logRetentionDays: cfg.retention.logRetentionDays, retainData: cfg.retention.retainData });
    }
    const placement = this.network ? { vpc: this.network.vpc, vpcSubnets: this.network.subnets, securityGroups: [this.network.securityGroup] } : {};
    this.placement = placement;
    this.stageConfig = cfg;
    const queue = (qid: string, what: string) => {
      const q = new sqs.Queue(this, qid, { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key, enforceSSL: true, retentionPeriod: Duration.days(14) });
      acknowledge(q, 'AwsSolutions-SQS3', `This queue is itself a dead-letter queue (${what}); operators inspect and re-drive its messages, nothing consumes it automatically.`);
      acknowledge(q, 'Serverless-SQSRedrivePolicy', `This queue is itself a dead-letter queue (${what}); a redrive policy on it would only move the same failures again.`);
      return q;
    };
    this.deadLetters = {
      events: queue('ProvisioningDeadLetters', 'allocation events the provisioning state machine could not be started for'),
      collector: queue('CollectorDeadLetters', 'usage collection runs that kept failing'),
      reconciler: queue('ReconcilerDeadLetters', 'reconciler runs that kept failing'),
    };
    // EventBridge writes undeliverable events to these KMS-encrypted queues.
    allowServicesToUseKey(key, ['events.amazonaws.com']);

    const connectorFn = (fid: string, p: { entry: string; description: string; timeout: Duration; memorySize?: number; async?: sqs.Queue; environment?: Record<string, string> }) => {
      const fn = new KairrFunction(this, fid, {
        entry: p.entry,
        description: p.description,
        defaults: props.defaults,
        timeout: p.timeout,
        memorySize: p.memorySize ?? 256,
        environment: p.environment,
        ...placement,
        ...(p.async ? { invocation: 'async' as const, deadLetterQueue: p.async } : {}),
      });
      props.tables.bindMain(fn, 'RW');
      // the write path appends audit events; no connector reads, updates or deletes them
      props.tables.bindAudit(fn, 'append');
      this.bindSiteAccess(fn);
      return fn;
    };

    // ---- provisioning: event → rule → state machine → step function ------------------------------
    this.provisioningStep = connectorFn('ProvisioningStep', {
      entry: 'lambdas/connectors/provisioning/handler.ts',
      description: 'KAIRR connectors: provisioning flow steps (plan, converge accounts, record, mark failed)',
      timeout: Duration.minutes(2),
    });
    this.provisioning = new sfn.StateMachine(this, 'Provisioning', {
      definitionBody: sfn.DefinitionBody.fromFile(PROVISIONING_ASL),
      definitionSubstitutions: { ProvisioningStepFunctionArn: this.provisioningStep.functionArn },
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: stateMachineLogs(this, 'ProvisioningLogs', props.defaults),
      timeout: Duration.hours(2),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // every task target, granted explicitly (the ASL invokes only this function)
    this.provisioningStep.grantInvoke(this.provisioning);
    const stepId = Stack.of(this).getLogicalId(this.provisioningStep.node.defaultChild as lambda.CfnFunction);
    acknowledge(
      this.provisioning.role,
      `AwsSolutions-IAM5[Resource::<${stepId}.Arn>:*]`,
      "lambda:InvokeFunction on the step function's versions and aliases (ARN:*), as Step Functions' lambda:invoke integration requires; it is the only function the flow invokes.",
    );
    acknowledge(this.provisioning.role, 'AwsSolutions-IAM5[Resource::*]', STATE_MACHINE_WILDCARD_REASON);
    this.provisioningRule = new events.Rule(this, 'ProvisioningEvents', {
      eventBus: props.bus.bus,
      description: 'KAIRR allocation events → the provisioning flow',
      eventPattern: { source: [EVENT_SOURCE], detailType: [...PROVISIONING_EVENT_TYPES] },
    });
    this.provisioningRule.addTarget(new targets.SfnStateMachine(this.provisioning, { deadLetterQueue: this.deadLetters.events, retryAttempts: 10, maxEventAge: Duration.hours(24) }));

    // ---- usage collection and reconciliation, one schedule per site ---------------------------------
    this.collector = connectorFn('UsageCollector', {
      entry: 'lambdas/connectors/usage/handler.ts',
      description: "KAIRR connectors: collect a site's job usage since its watermark into the ledger",
      timeout: Duration.minutes(5),
      memorySize: 512,
      async: this.deadLetters.collector,
      environment: { LEDGER_FUNCTION_NAME: props.ledger.fn.functionName },
    });
    props.ledger.grantIngest(this.collector);
    acknowledge(
      this.collector.role!,
      `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(props.ledger.fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      "lambda:InvokeFunction on the ledger function's versions and aliases (ARN:*), granted by Ledger.grantIngest: the collector hands usage to the ledger, which alone writes charges.",
    );
    this.reconciler = connectorFn('Reconciler', {
      entry: 'lambdas/connectors/reconcile/handler.ts',
      description: "KAIRR connectors: compare allocations with a site's scheduler and repair drift",
      timeout: Duration.minutes(10),
      memorySize: 512,
      async: this.deadLetters.reconciler,
    });
    for (const site of cfg.sites) {
      const input = events.RuleTargetInput.fromObject({ siteId: site.id });
      const idOf = (s: string) => `${s}${site.id.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase())}`;
      new events.Rule(this, idOf('Collect'), {
        description: `KAIRR: collect usage of ${site.id}`,
        schedule: events.Schedule.rate(Duration.minutes(cfg.policy.usageCollectionIntervalMinutes)),
        targets: [new targets.LambdaFunction(this.collector, { event: input, retryAttempts: 2, maxEventAge: Duration.minutes(cfg.policy.usageCollectionIntervalMinutes * 2), deadLetterQueue: this.deadLetters.collector })],
      });
      new events.Rule(this, idOf('Reconcile'), {
        description: `KAIRR: reconcile ${site.id}`,
        schedule: events.Schedule.rate(Duration.minutes(cfg.policy.reconcileIntervalMinutes)),
        targets: [new targets.LambdaFunction(this.reconciler, { event: input, retryAttempts: 2, maxEventAge: Duration.hours(1), deadLetterQueue: this.deadLetters.reconciler })],
      });
    }

    // ---- jobs API -----------------------------------------------------------------------------------
    this.jobsFn = connectorFn('JobsApi', {
      entry: 'lambdas/jobs/handler.ts',
      description: 'KAIRR jobs: dispatch, status and cancel at the sites; site connector status',
      timeout: Duration.seconds(29),
      memorySize: 512,
      environment: { CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(',') },
    });
    props.api.addRoutes(jobsApi, this.jobsFn);
    props.api.addRoutes(connectorsApi, this.jobsFn);
    // ---- site accounts: served by the jobs function; a confirmation tells the allocations (outbox → bus) ----
    props.api.addRoutes(siteAccountsApi, this.jobsFn);
    props.bus.bindPublisher(this.jobsFn);
    // ---- end site accounts ----

    this.functions = [this.provisioningStep, this.collector, this.reconciler, this.jobsFn];
  }

  private readonly stageConfig: StageConfig;

  /**
   * For a function of another capability that reaches the schedulers through the jobs capability
   * (pipelines): the sites' credentials secrets, and the VPC policy's acknowledgement when it runs
   * in the connectors' network (create it with `placement`).
   */
  bindSiteAccess(fn: KairrFunction): void {
    this.grantSiteSecrets(fn, this.stageConfig);
    if (this.network) {
      acknowledge(
        fn.role!,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        "A Lambda function in a VPC needs ec2:CreateNetworkInterface and friends, which have no resource-level scoping; AWS's managed VPC access policy is the documented grant.",
      );
    }
  }

  /** secretsmanager:GetSecretValue on each configured site's credentials secret, and nothing else. */
  private grantSiteSecrets(fn: KairrFunction, cfg: StageConfig): void {
    const stack = Stack.of(this);
    const arns = cfg.sites.map((s) => Arn.format({ service: 'secretsmanager', resource: 'secret', resourceName: `${s.scheduler.credentialsSecretName}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack));
    fn.allow(['secretsmanager:GetSecretValue'], arns);
  }
}
