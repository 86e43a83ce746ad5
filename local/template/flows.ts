// The template's state machines (definitions from the deployed ASL, substitutions applied), event
// buses and event rules with their targets, as the local Step Functions and EventBridge take them.
import { existsSync, readFileSync } from 'node:fs';
import type { AslDefinition } from '../sfn/definition';
import type { LocalEventRule, LocalEventTarget } from '../events/types';
import { busNameOf, type Template } from './template';

export interface StateMachineDef {
  logicalId: string;
  /** Physical name: StateMachineName if the template declares one. */
  name: string;
  arn: string;
  type: 'STANDARD' | 'EXPRESS';
  roleArn?: string;
  /** The ASL as CloudFormation deploys it: DefinitionSubstitutions applied, parsed. */
  definition: AslDefinition;
  /** Where the definition came from: its asset file in outDir, or "inline". */
  source: string;
}

/**
 * The template's state machines. The definition comes from DefinitionString or Definition
 * (inline), or from DefinitionS3Location, which for CDK's DefinitionBody.fromFile is a file asset
 * of the cloud assembly. DefinitionSubstitutions are resolved (so ${SomeFn} becomes that
 * function's local ARN) and replace their ${key} placeholders, as CloudFormation does.
 */
export function stateMachinesOf(t: Template): StateMachineDef[] {
  return t.ofType('AWS::StepFunctions::StateMachine').map(([id, r]) => {
    const p = r.Properties ?? {};
    const { text, source } = definitionTextOf(t, id, p);
    const substitutions = Object.fromEntries(Object.entries((p.DefinitionSubstitutions ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(t.resolve(v))]));
    const substituted = text.replace(/\$\{([^}]+)\}/g, (placeholder, key: string) => (key in substitutions ? substitutions[key] : placeholder));
    let definition: AslDefinition;
    try {
      definition = JSON.parse(substituted) as AslDefinition;
    } catch (e) {
      throw new Error(`State machine ${id}: the definition (${source}) is not JSON after substitutions: ${(e as Error).message}`);
    }
    return {
      logicalId: id,
      name: t.physicalName(id),
      arn: t.ref(id),
      type: p.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
      roleArn: p.RoleArn === undefined ? undefined : String(t.resolve(p.RoleArn)),
      definition,
      source,
    };
  });
}

function definitionTextOf(t: Template, id: string, p: Record<string, any>): { text: string; source: string } {
  if (p.DefinitionString !== undefined) {
    const value = t.resolve(p.DefinitionString);
    return { text: typeof value === 'string' ? value : JSON.stringify(value), source: 'inline' };
  }
  if (p.Definition !== undefined) return { text: JSON.stringify(t.resolve(p.Definition)), source: 'inline' };
  const location = p.DefinitionS3Location;
  if (location) {
    const key = String(t.resolve(location.Key));
    const file = t.assetFileForObjectKey(key);
    if (!file || !existsSync(file)) throw new Error(`State machine ${id}: DefinitionS3Location key ${key} is not a file asset of the cloud assembly in ${t.outDir}`);
    return { text: readFileSync(file, 'utf8'), source: file };
  }
  throw new Error(`State machine ${id} has no DefinitionString, Definition or DefinitionS3Location`);
}

export interface EventBusDef {
  logicalId: string;
  name: string;
  arn: string;
}

/** The template's custom event buses ("default" always exists and is not listed). */
export function eventBusesOf(t: Template): EventBusDef[] {
  return t.ofType('AWS::Events::EventBus').map(([id]) => ({ logicalId: id, name: t.physicalName(id), arn: t.getAtt(id, 'Arn') }));
}

export interface RuleDef extends LocalEventRule {
  logicalId: string;
  arn: string;
  /** Always set: the bus's name ("default" when the template names none). */
  eventBusName: string;
  state: 'ENABLED' | 'DISABLED';
  targets: LocalEventTarget[];
}

/** The template's event rules, as the local bus takes them (names, ARNs and inputs resolved). */
export function rulesOf(t: Template): RuleDef[] {
  return t.ofType('AWS::Events::Rule').map(([id, r]) => {
    const p = r.Properties ?? {};
    const pattern = p.EventPattern === undefined ? undefined : t.resolve(p.EventPattern);
    const targets: LocalEventTarget[] = ((p.Targets ?? []) as Record<string, any>[]).map((target) => {
      const resolved = t.resolve(target);
      const out: LocalEventTarget = { id: String(resolved.Id), arn: String(resolved.Arn) };
      if (resolved.Input !== undefined) out.input = typeof resolved.Input === 'string' ? resolved.Input : JSON.stringify(resolved.Input);
      if (resolved.InputPath !== undefined) out.inputPath = String(resolved.InputPath);
      if (resolved.InputTransformer) out.inputTransformer = { inputPathsMap: resolved.InputTransformer.InputPathsMap, inputTemplate: String(resolved.InputTransformer.InputTemplate) };
      if (resolved.RoleArn !== undefined) out.roleArn = String(resolved.RoleArn);
      if (resolved.RetryPolicy) {
        out.retryPolicy = {
          maximumRetryAttempts: optionalNumber(resolved.RetryPolicy.MaximumRetryAttempts),
          maximumEventAgeInSeconds: optionalNumber(resolved.RetryPolicy.MaximumEventAgeInSeconds),
        };
      }
      if (resolved.DeadLetterConfig?.Arn !== undefined) out.deadLetterConfig = { arn: String(resolved.DeadLetterConfig.Arn) };
      if (resolved.SqsParameters?.MessageGroupId !== undefined) out.sqsParameters = { messageGroupId: String(resolved.SqsParameters.MessageGroupId) };
      return out;
    });
    return {
      logicalId: id,
      name: t.physicalName(id),
      arn: t.getAtt(id, 'Arn'),
      eventBusName: busNameOf(p.EventBusName === undefined ? undefined : String(t.resolve(p.EventBusName))),
      eventPattern: typeof pattern === 'string' ? (JSON.parse(pattern) as LocalEventRule['eventPattern']) : pattern,
      scheduleExpression: p.ScheduleExpression === undefined ? undefined : String(t.resolve(p.ScheduleExpression)),
      state: p.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
      description: p.Description,
      targets,
    };
  });
}

function optionalNumber(value: unknown): number | undefined {
  return value === undefined ? undefined : Number(value);
}
