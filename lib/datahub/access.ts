// The data hub's access decision (docs/datahub.md, "Access to restricted data"): the committee's
// flow (statemachines/datahub-access.asl.json, deployed from the file with its task target
// substituted), its step function (lambdas/datahub/access-flow.ts), and the grants that let the
// hub's API function start a flow per application and answer the task that waits for the committee.
import * as path from 'node:path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DatahubConfig } from '../../lambdas/datahub/config';
import { KairrFunction, REPO_ROOT, type FunctionDefaults } from '../platform/kairr-function';
import type { DataTables } from '../platform/tables';
import { STATE_MACHINE_WILDCARD_REASON, stateMachineLogs } from '../platform/state-machine-logs';
import { acknowledge } from '../nag';

export const DATAHUB_ACCESS_ASL = path.join(REPO_ROOT, 'statemachines', 'datahub-access.asl.json');

export interface DatahubAccessProps {
  tables: DataTables;
  defaults: FunctionDefaults;
  config: DatahubConfig;
  /** The data hub's API function: it starts a flow per application and answers the committee's task. */
  apiFn: KairrFunction;
}

export class DatahubAccess extends Construct {
  readonly flowFn: KairrFunction;
  readonly stateMachine: sfn.StateMachine;
  readonly machineArn: string;

  constructor(scope: Construct, id: string, props: DatahubAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Named after its stack (stages do not collide), so the functions are granted on its ARN
    // without a reference to the machine: the machine refers to the flow function, and a reference
    // back from the function's policy would be a dependency cycle.
    const machineName = `${stack.stackName}-datahub-access`;
    this.machineArn = stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: machineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    this.flowFn = new KairrFunction(this, 'Flow', {
      entry: 'lambdas/datahub/access-flow.ts',
      description: 'KAIRR data hub access flow steps (register, await the committee, remind, expire, record an error)',
      defaults: props.defaults,
      memorySize: 512,
      timeout: Duration.seconds(30),
      environment: { DATAHUB_ACCESS_STATE_MACHINE_ARN: this.machineArn, DATAHUB_CONFIG: JSON.stringify(props.config) },
    });
    props.tables.bindMain(this.flowFn, 'RW');
    // the write path appends audit events (await, remind, expire, error); the flow reads none
    props.tables.bindAudit(this.flowFn, 'append');
    // awaitDecision answers its own task when the decision came before the token was stored
    this.flowFn.allow(['states:SendTaskSuccess'], [this.machineArn]);

    // applying starts the flow (named after the application, so a retried start is the same
    // execution); a decision or a withdrawal answers the committee's waiting task
    props.apiFn.withEnv('DATAHUB_ACCESS_STATE_MACHINE_ARN', this.machineArn).allow(['states:StartExecution'], [this.machineArn]).allow(['states:SendTaskSuccess'], [this.machineArn]);

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: machineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(DATAHUB_ACCESS_ASL),
      definitionSubstitutions: { FlowFunctionArn: this.flowFn.functionArn },
      tracingEnabled: true,
      logs: stateMachineLogs(this, 'StateMachineLogs', props.defaults),
    });
    this.flowFn.grantInvoke(this.stateMachine);
    acknowledge(
      this.stateMachine.role,
      `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(this.flowFn.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      "CDK's grantInvoke also covers the access flow function's versions and aliases (ARN:*); the definition invokes the unqualified ARN of this one function.",
    );
    acknowledge(this.stateMachine.role, 'AwsSolutions-IAM5[Resource::*]', STATE_MACHINE_WILDCARD_REASON);
  }
}
