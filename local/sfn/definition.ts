// Compiles a deployable ASL definition into the definition that aws-local-stepfunctions runs.
//
// The library is used for what it does well (JSONPath, intrinsic functions, Choice, Retry/Catch,
// Map, Parallel) but it has no callback pattern, no heartbeats, a 60 s default task timeout,
// a Wait that always sleeps in real time, and a context object whose $$.Execution.Input is
// replaced by the branch input inside Parallel/Map. So, before running, this module:
//  - wraps every Task's Parameters in a hidden envelope that also carries the evaluated
//    TimeoutSecondsPath/HeartbeatSecondsPath, and leaves timeouts to the task runner;
//  - turns every Wait state into a Task on an internal resource, so that waits are scaled,
//    overridable and abortable by this service;
//  - rewrites $$.Execution.*, $$.State.Name and $$.State.EnteredTime references to context keys
//    that the library does not overwrite;
//  - scales Retry intervals by the service's explicit timeScale;
//  - rejects what the library would silently ignore (JSONata, Variables, distributed-map readers).
// Nothing here changes the meaning of a JSONPath definition.
import type { StateMachineDefinition } from './library';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface AslState {
  Type: string;
  [field: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  Comment?: string;
  Version?: string;
  QueryLanguage?: string;
  [field: string]: unknown;
}

/** Keys of the hidden envelope a compiled Task receives instead of its bare Parameters. */
export const ENVELOPE = {
  parameters: '__kairr_parameters',
  timeoutSeconds: '__kairr_timeout_seconds',
  heartbeatSeconds: '__kairr_heartbeat_seconds',
  waitInput: '__kairr_wait_input',
  waitSeconds: '__kairr_wait_seconds',
  waitTimestamp: '__kairr_wait_timestamp',
} as const;

/** Context keys that the rewritten paths point at (see rewritePath). */
export const CONTEXT_KEYS = {
  execution: 'Kairr__Execution',
  state: 'Kairr__State',
  stateNames: 'Kairr__StateNames',
} as const;

/** Resource of the Task that stands in for a Wait state. Never leaves this service. */
export const WAIT_RESOURCE = 'arn:aws:states:::kairr-local:wait';

/**
 * The library races every Task against its own timer (60 s by default). The largest value it
 * can arm without overflowing setTimeout is used, and the real timeout is enforced by the task
 * runner, which knows about heartbeats, overrides and timeScale.
 */
export const LIBRARY_TASK_TIMEOUT_SECONDS = 2_147_483;

export interface TaskStateInfo {
  name: string;
  resource: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  hasTimeoutPath: boolean;
  hasHeartbeatPath: boolean;
}

export interface WaitStateInfo {
  name: string;
  seconds?: number;
  timestamp?: string;
}

export interface CompiledDefinition {
  runDefinition: StateMachineDefinition;
  /** Every state of the machine, nested ones included, by name: its original Type. */
  stateTypes: Map<string, string>;
  tasks: Map<string, TaskStateInfo>;
  waits: Map<string, WaitStateInfo>;
  /** Values for $$.Kairr__StateNames, keyed by the id each state's references were rewritten to. */
  stateNames: Record<string, string>;
  timeoutSeconds?: number;
}

export class UnsupportedDefinitionError extends Error {
  constructor(readonly problems: string[]) {
    super(`state machine definition uses features the local Step Functions service does not run:\n - ${problems.join('\n - ')}`);
    this.name = 'UnsupportedDefinitionError';
  }
}

interface CompileContext {
  timeScale: number;
  stateTypes: Map<string, string>;
  tasks: Map<string, TaskStateInfo>;
  waits: Map<string, WaitStateInfo>;
  stateNames: Record<string, string>;
  problems: string[];
}

export function compileDefinition(definition: AslDefinition, options: { timeScale?: number } = {}): CompiledDefinition {
  const ctx: CompileContext = {
    timeScale: options.timeScale ?? 1,
    stateTypes: new Map(),
    tasks: new Map(),
    waits: new Map(),
    stateNames: {},
    problems: [],
  };
  if (definition.QueryLanguage === 'JSONata') ctx.problems.push('QueryLanguage "JSONata" (only JSONPath definitions run locally)');
  const { TimeoutSeconds, ...rest } = definition;
  const runDefinition = { ...rest, States: compileStates(definition.States, ctx, '') };
  if (ctx.problems.length > 0) throw new UnsupportedDefinitionError(ctx.problems);
  return {
    runDefinition: runDefinition as unknown as StateMachineDefinition,
    stateTypes: ctx.stateTypes,
    tasks: ctx.tasks,
    waits: ctx.waits,
    stateNames: ctx.stateNames,
    timeoutSeconds: typeof TimeoutSeconds === 'number' ? TimeoutSeconds : undefined,
  };
}

function compileStates(states: Record<string, AslState>, ctx: CompileContext, where: string): Record<string, AslState> {
  const compiled: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(states ?? {})) {
    if (ctx.stateTypes.has(name)) {
      // Task handlers and history are keyed by state name; AWS also requires unique names.
      ctx.problems.push(`state name "${name}" is used more than once${where}`);
      continue;
    }
    ctx.stateTypes.set(name, state.Type);
    compiled[name] = compileState(name, state, ctx);
  }
  return compiled;
}

function compileState(name: string, state: AslState, ctx: CompileContext): AslState {
  const id = `s${Object.keys(ctx.stateNames).length}`;
  ctx.stateNames[id] = name;
  checkUnsupported(name, state, ctx);

  const out: AslState = { ...state };
  for (const field of ['InputPath', 'OutputPath', 'ItemsPath', 'MaxConcurrencyPath', 'ErrorPath', 'CausePath'] as const) {
    if (typeof out[field] === 'string') out[field] = rewritePath(out[field] as string, id);
  }
  for (const field of ['Parameters', 'ResultSelector', 'ItemSelector'] as const) {
    if (field in out) out[field] = rewriteTemplate(out[field], id);
  }
  if (Array.isArray(out.Retry) && ctx.timeScale !== 1) out.Retry = out.Retry.map((retrier) => scaleRetrier(retrier, ctx.timeScale));

  switch (state.Type) {
    case 'Task':
      return compileTask(name, out, id, ctx);
    case 'Wait':
      return compileWait(name, out, id, ctx);
    case 'Parallel':
      if (Array.isArray(out.Branches)) {
        out.Branches = out.Branches.map((branch: AslDefinition) => ({
          ...branch,
          States: compileStates(branch.States, ctx, ` (in a branch of "${name}")`),
        }));
      }
      return out;
    case 'Map':
      for (const field of ['ItemProcessor', 'Iterator'] as const) {
        const processor = out[field] as AslDefinition | undefined;
        if (processor?.States) out[field] = { ...processor, States: compileStates(processor.States, ctx, ` (in Map "${name}")`) };
      }
      return out;
    case 'Choice':
      if (Array.isArray(out.Choices)) out.Choices = out.Choices.map((rule) => rewriteChoiceRule(rule, id));
      return out;
    default:
      return out;
  }
}

function compileTask(name: string, state: AslState, id: string, ctx: CompileContext): AslState {
  const { TimeoutSeconds, TimeoutSecondsPath, HeartbeatSeconds, HeartbeatSecondsPath, Credentials: _credentials, Parameters, ...rest } = state;
  if (typeof state.Resource !== 'string') {
    ctx.problems.push(`Task "${name}" has no string Resource`);
    return state;
  }
  const hasParameters = 'Parameters' in state;
  ctx.tasks.set(name, {
    name,
    resource: state.Resource,
    timeoutSeconds: typeof TimeoutSeconds === 'number' ? TimeoutSeconds : undefined,
    heartbeatSeconds: typeof HeartbeatSeconds === 'number' ? HeartbeatSeconds : undefined,
    hasTimeoutPath: typeof TimeoutSecondsPath === 'string',
    hasHeartbeatPath: typeof HeartbeatSecondsPath === 'string',
  });
  const envelope: Record<string, unknown> = hasParameters ? { [ENVELOPE.parameters]: Parameters } : { [`${ENVELOPE.parameters}.$`]: '$' };
  if (typeof TimeoutSecondsPath === 'string') envelope[`${ENVELOPE.timeoutSeconds}.$`] = rewritePath(TimeoutSecondsPath, id);
  if (typeof HeartbeatSecondsPath === 'string') envelope[`${ENVELOPE.heartbeatSeconds}.$`] = rewritePath(HeartbeatSecondsPath, id);
  return { ...rest, Parameters: envelope, TimeoutSeconds: LIBRARY_TASK_TIMEOUT_SECONDS };
}

function compileWait(name: string, state: AslState, id: string, ctx: CompileContext): AslState {
  const { Seconds, Timestamp, SecondsPath, TimestampPath, Type: _type, ...rest } = state;
  ctx.waits.set(name, {
    name,
    seconds: typeof Seconds === 'number' ? Seconds : undefined,
    timestamp: typeof Timestamp === 'string' ? Timestamp : undefined,
  });
  const envelope: Record<string, unknown> = { [`${ENVELOPE.waitInput}.$`]: '$' };
  if (typeof SecondsPath === 'string') envelope[`${ENVELOPE.waitSeconds}.$`] = rewritePath(SecondsPath, id);
  if (typeof TimestampPath === 'string') envelope[`${ENVELOPE.waitTimestamp}.$`] = rewritePath(TimestampPath, id);
  return { ...rest, Type: 'Task', Resource: WAIT_RESOURCE, Parameters: envelope, TimeoutSeconds: LIBRARY_TASK_TIMEOUT_SECONDS };
}

function checkUnsupported(name: string, state: AslState, ctx: CompileContext): void {
  if (state.QueryLanguage === 'JSONata') ctx.problems.push(`state "${name}": QueryLanguage "JSONata"`);
  for (const field of ['Assign', 'Arguments', 'Output']) {
    if (field in state) ctx.problems.push(`state "${name}": field "${field}" (JSONata/Variables are not supported by aws-local-stepfunctions)`);
  }
  if (state.Type === 'Map') {
    for (const field of ['ItemReader', 'ResultWriter', 'ItemBatcher']) {
      if (field in state) ctx.problems.push(`Map "${name}": field "${field}" (distributed Map is not supported locally)`);
    }
  }
}

interface Retrier {
  IntervalSeconds?: number;
  MaxDelaySeconds?: number;
  [field: string]: unknown;
}

function scaleRetrier(retrier: Retrier, timeScale: number): Retrier {
  const scaled: Retrier = { ...retrier, IntervalSeconds: (retrier.IntervalSeconds ?? 1) * timeScale };
  if (typeof retrier.MaxDelaySeconds === 'number') scaled.MaxDelaySeconds = retrier.MaxDelaySeconds * timeScale;
  return scaled;
}

const CONTEXT_REFERENCE = /\$\$\.(Execution|State\.Name|State\.EnteredTime)\b/g;

/**
 * Points context references at keys the library leaves alone. Applies to plain paths and to
 * paths inside intrinsic functions such as States.Format('{}', $$.Execution.Id).
 */
export function rewritePath(path: string, stateId: string): string {
  return path.replace(CONTEXT_REFERENCE, (_match, reference: string) => {
    if (reference === 'Execution') return `$$.${CONTEXT_KEYS.execution}`;
    if (reference === 'State.Name') return `$$.${CONTEXT_KEYS.stateNames}.${stateId}`;
    return `$$.${CONTEXT_KEYS.state}.EnteredTime`;
  });
}

function rewriteTemplate(template: unknown, stateId: string): unknown {
  if (Array.isArray(template)) return template.map((item) => rewriteTemplate(item, stateId));
  if (!template || typeof template !== 'object') return template;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    out[key] = key.endsWith('.$') && typeof value === 'string' ? rewritePath(value, stateId) : rewriteTemplate(value, stateId);
  }
  return out;
}

function rewriteChoiceRule(rule: Record<string, unknown>, stateId: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...rule };
  for (const [key, value] of Object.entries(rule)) {
    if ((key === 'Variable' || key.endsWith('Path')) && typeof value === 'string') out[key] = rewritePath(value, stateId);
    else if ((key === 'And' || key === 'Or') && Array.isArray(value)) out[key] = value.map((inner) => rewriteChoiceRule(inner, stateId));
    else if (key === 'Not' && value && typeof value === 'object') out[key] = rewriteChoiceRule(value as Record<string, unknown>, stateId);
  }
  return out;
}

/** Splits a Task resource into its base ARN and integration pattern. */
export function parseResource(resource: string): { base: string; pattern: 'request' | 'waitForTaskToken' | 'sync' | 'sync:2' } {
  if (resource.endsWith('.waitForTaskToken')) return { base: resource.slice(0, -'.waitForTaskToken'.length), pattern: 'waitForTaskToken' };
  if (resource.endsWith('.sync:2')) return { base: resource.slice(0, -'.sync:2'.length), pattern: 'sync:2' };
  if (resource.endsWith('.sync')) return { base: resource.slice(0, -'.sync'.length), pattern: 'sync' };
  return { base: resource, pattern: 'request' };
}
