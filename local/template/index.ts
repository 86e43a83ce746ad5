// The synthesized template and what each local service reads from it.
export { busNameOf, LOCAL_ACCOUNT, Template, type CfnResource } from './template';
export { functionsOf, type FunctionDef } from './functions';
export { tablesOf, type TableDef } from './tables';
export { apisOf, type ApiDef, type AuthorizerDef, type GatewayResponseDef, type MockRouteDef, type RouteDef } from './rest-api';
export { eventBusesOf, rulesOf, stateMachinesOf, type EventBusDef, type RuleDef, type StateMachineDef } from './flows';
