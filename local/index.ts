// @kairr/cdk-local: a local AWS runtime for CDK apps, built from the app's synthesized cloud
// assembly. This module is the package's whole public API; see local/README.md.
//
// The runtime, all services together:
export { startCdkLocal, writeLocalJson, type CdkLocal, type CdkLocalInfo, type CdkLocalOidcOptions, type CdkLocalOptions, type FunctionEnvContext } from './cdk-local';
export type { LocalRuntimeEvents, SettleOptions } from './flows';
// Synthesizing only when the sources changed:
export { ensureSynth, sourceHash, type SynthOptions } from './synth';
// Reading the template:
export {
  apisOf,
  eventBusesOf,
  functionsOf,
  LOCAL_ACCOUNT,
  rulesOf,
  stateMachinesOf,
  tablesOf,
  Template,
  type ApiDef,
  type AuthorizerDef,
  type CfnResource,
  type EventBusDef,
  type FunctionDef,
  type RouteDef,
  type RuleDef,
  type StateMachineDef,
  type TableDef,
} from './template';
// Each service on its own:
export { createTables, localClient, startDynamoLocal, type DynamoLocal } from './dynamo';
export { freePort } from './ports';
export { LambdaHost, LambdaInvokeError, type LambdaHostOptions } from './lambda-host';
export { LocalApiGateway, type LocalApiOptions } from './api-gateway';
export { LocalOidcIssuer, startLocalIssuers, type IssuerEntry, type LocalIssuers, type TokenClaims } from './oidc';
export { startFauxqs, startLambdaAndSecrets, type FailedAsyncInvocation, type FauxqsProcess, type LocalServiceEndpoints } from './aws-services';
export {
  LambdaServiceError,
  LocalSfnService,
  SfnApiError,
  startLocalSfn,
  TaskFailure,
  UnsupportedDefinitionError,
  type AslDefinition,
  type ExecutionSnapshot,
  type ExecutionStatus,
  type LocalSfn,
  type LocalSfnTaskHandlers,
  type LocalStateMachineSpec,
  type PendingTaskInfo,
  type StartLocalSfnOptions,
  type StateTimeOverrides,
  type TaskContext,
} from './sfn';
export {
  createLocalEventBus,
  EventsApiError,
  LocalEventBus,
  matchesEventPattern,
  nextFireTime,
  parseEventPattern,
  parseScheduleExpression,
  startLocalEventBridge,
  type DeadLetter,
  type EventEnvelope,
  type EventPattern,
  type LocalEventBridge,
  type LocalEventBusOptions,
  type LocalEventRule,
  type LocalEventTarget,
} from './events';
