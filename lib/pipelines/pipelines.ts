// Pipelines: the API function (create, read, list, cancel, retry), the pipeline flow
// (statemachines/pipeline.asl.json, deployed from the file with its step substituted) and its step
// function. Both functions reach the schedulers through the jobs capability (the flow dispatches and
// reads jobs, a cancel cancels them), so both run where the connectors run, with the sites'
// credentials secrets and nothing more. Neither carries data: a transfer is a job at a site.
import * as path from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { pipelinesApi } from '../../lambdas/pipelines/api';
import type { PipelinesConfig } from '../../lambdas/pipelines/config';
import type { Connectors } from '../connectors/connectors';
import { KairrFunction, REPO_ROOT, type FunctionDefaults } from '../platform/kairr-function';
import type { KairrApi } from '../platform/rest-api';
import type { DataTables } from '../platform/tables';
import { acknowledge } from '../nag';
import { allowServicesToUseKey } from '../platform/key-policy';
import { STATE_MACHINE_WILDCARD_REASON, stateMachineLogs } from '../platform/state-machine-logs';

export const PIPELINE_ASL = path.join(REPO_ROOT, 'statemachines', 'pipeline.asl.json');

export interface PipelinesProps {
  api: KairrApi;
  tables: DataTables;
  connectors: Connectors;
  defaults: FunctionDefaults;
  corsAllowOrigins: string[];
  config: PipelinesConfig;
  /** The configured sites: one stage watcher schedule each. */
  siteIds: string[];
}

export class Pipelines extends Construct {
  readonly apiFn: KairrFunction;
  readonly flowFn: KairrFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly functions: KairrFunction[];
  /** The per-site stage watcher, started every minute per site (lambdas/pipelines/watcher.ts). */
  readonly watcherFn?: KairrFunction;

  constructor(scope: Construct, id: string, props: PipelinesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Named after its stack, so the functions are granted on its ARN without a reference to the
    // machine (which refers to the flow function: a reference back would be a dependency cycle).
    const machineName = `${stack.stackName}-pipeline`;
    const machineArn = stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: machineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    this.flowFn = new KairrFunction(this, 'Flow', {
      entry: 'lambdas/pipelines/flow-handler.ts',
      description: 'KAIRR pipeline flow steps (plan, start a stage, record a start failure, wait on the doorbell)',
      defaults: props.defaults,
      memorySize: 512,
      // a start dispatches one job (the site's answer within the driver's own timeouts); Plan asks
      // the site about each running stage, at most 50
      timeout: Duration.seconds(120),
      environment: { PIPELINE_STATE_MACHINE_ARN: machineArn, PIPELINES_CONFIG: JSON.stringify(props.config) },
      ...props.connectors.placement,
    });
    this.apiFn = new KairrFunction(this, 'Api', {
      entry: 'lambdas/pipelines/handler.ts',
      description: 'KAIRR pipelines: create, read, list, cancel, retry',
      defaults: props.defaults,
      memorySize: 512,
      timeout: Duration.seconds(29),
      environment: { CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(','), PIPELINE_STATE_MACHINE_ARN: machineArn },
      ...props.connectors.placement,
    });
    for (const fn of [this.flowFn, this.apiFn]) {
      props.tables.bindMain(fn, 'RW');
      // the write path appends audit events; neither function reads, updates or deletes them
      props.tables.bindAudit(fn, 'append');
      props.connectors.bindSiteAccess(fn);
      // either may answer the waiting flow's doorbell (a change it made, or the flow's own wait)
      fn.allow(['states:SendTaskSuccess'], [machineArn]);
    }
    // create and retry start a run; the execution name is the run's, so a retried start is the same execution
    this.apiFn.allow(['states:StartExecution'], [machineArn]);
    props.api.addRoutes(pipelinesApi, this.apiFn);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: machineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(PIPELINE_ASL),
      definitionSubstitutions: { PipelineStepFunctionArn: this.flowFn.functionArn },
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
    this.functions = [this.apiFn, this.flowFn];
    if (props.config.watcher.enabled && props.siteIds.length > 0) this.watcherFn = this.addWatcher(props, machineArn);
  }

  private addWatcher(props: PipelinesProps, machineArn: string): KairrFunction {
    const deadLetters = new sqs.Queue(this, 'WatcherDeadLetters', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.tables.key, enforceSSL: true, retentionPeriod: Duration.days(14) });
    acknowledge(deadLetters, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the stage watcher runs that kept failing; operators inspect it, the next minute starts a fresh run.');
    acknowledge(deadLetters, 'Serverless-SQSRedrivePolicy', 'This queue is itself a dead-letter queue (stage watcher runs); a redrive policy on it would only move the same failed runs again.');
    // EventBridge writes undeliverable runs to the KMS-encrypted queue
    allowServicesToUseKey(props.tables.key, ['events.amazonaws.com']);
    const fn = new KairrFunction(this, 'Watcher', {
      entry: 'lambdas/pipelines/watcher-handler.ts',
      description: "KAIRR pipelines: a site's stage watcher (the jobs changed since its last look → stage ends → the flow's doorbell)",
      defaults: props.defaults,
      memorySize: 512,
      // a run watches for 58 s (watcher.ts WATCH_RUN_MS); the rest is the last look's recording
      timeout: Duration.seconds(90),
      environment: { PIPELINE_STATE_MACHINE_ARN: machineArn, PIPELINES_CONFIG: JSON.stringify(props.config) },
      invocation: 'async',
      deadLetterQueue: deadLetters,
      ...props.connectors.placement,
    });
    props.tables.bindMain(fn, 'RW');
    // the write path appends audit events (a stage's end); the watcher reads, updates or deletes none
    props.tables.bindAudit(fn, 'append');
    props.connectors.bindSiteAccess(fn);
    // it rings the waiting flow's doorbell when it records a stage's end
    fn.allow(['states:SendTaskSuccess'], [machineArn]);
    for (const siteId of props.siteIds) {
      const id = `Watch${siteId.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase())}`;
      new events.Rule(this, id, {
        description: `KAIRR: the stage watcher of ${siteId}`,
        schedule: events.Schedule.rate(Duration.minutes(1)),
        // a run older than its minute is replaced by the next one: no point delivering it late
        targets: [new targets.LambdaFunction(fn, { event: events.RuleTargetInput.fromObject({ siteId }), retryAttempts: 1, maxEventAge: Duration.minutes(1), deadLetterQueue: deadLetters })],
      });
    }
    this.functions.push(fn);
    return fn;
  }
}
