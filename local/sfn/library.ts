// The one place that loads aws-local-stepfunctions. The package is ESM-typed ("type": "module")
// while this project compiles to CommonJS, so the runtime value comes from require() (its
// "require" export is a CJS build) and only the types are imported.
import './polyfill';

// Type queries with resolution-mode (rather than `import type ... with {...}`, which Biome's
// parser refuses) name the ESM types from this CommonJS module.
type Library = typeof import('aws-local-stepfunctions', { with: { 'resolution-mode': 'import' }});
export type RunOptions = import('aws-local-stepfunctions', { with: { 'resolution-mode': 'import' }}).RunOptions;
export type LibraryStateMachine = InstanceType<Library['StateMachine']>;
export type StateMachineDefinition = import('aws-local-stepfunctions', { with: { 'resolution-mode': 'import' }}).StateMachineDefinition;

interface LibraryModule {
  StateMachine: Library['StateMachine'];
  ExecutionError: new (...args: never[]) => Error;
}

const library = require('aws-local-stepfunctions') as LibraryModule;

// asl-validator compiles its JSON schemas on every call (about a second here), so verdicts are
// cached by definition text for the life of the process.
const validationVerdicts = new Map<string, string | null>();

/** Validates with the library's ASL validator (asl-validator); throws with its error text. */
export function validateDefinition(definition: unknown): void {
  const key = JSON.stringify(definition);
  if (!validationVerdicts.has(key)) {
    try {
      // asl-validator writes QueryLanguage into every state it checks: give it a copy.
      new library.StateMachine(JSON.parse(key) as StateMachineDefinition, { validationOptions: { checkArn: true, checkPaths: true } });
      validationVerdicts.set(key, null);
    } catch (error) {
      validationVerdicts.set(key, error instanceof Error ? error.message : String(error));
    }
  }
  const verdict = validationVerdicts.get(key);
  if (verdict) throw new Error(verdict);
}

/** A runnable machine for an already-compiled (and already-validated) definition. */
export function createRunner(definition: StateMachineDefinition): LibraryStateMachine {
  return new library.StateMachine(definition, { validationOptions: { noValidate: true } });
}

export function isExecutionError(error: unknown): error is Error & { cause: unknown } {
  return error instanceof library.ExecutionError;
}

type ErrorConstructor0 = new () => Error;
let statesTimeoutClass: Promise<ErrorConstructor0 | undefined> | undefined;

/**
 * The library decides that States.TaskFailed does not match a timeout with
 * `error instanceof StatesTimeoutError`, a class it does not export. One tiny execution whose
 * task outlives a 1 ms timeout hands us an instance, so that our own timeouts can be real
 * StatesTimeoutErrors. Resolves to undefined if the library ever stops behaving this way.
 */
export function statesTimeoutErrorClass(): Promise<ErrorConstructor0 | undefined> {
  statesTimeoutClass ??= (async () => {
    let release!: () => void;
    const never = new Promise<null>((resolve) => (release = () => resolve(null)));
    const probe = new library.StateMachine(
      { StartAt: 'Probe', States: { Probe: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:probe', TimeoutSeconds: 0.001, End: true } } },
      { validationOptions: { noValidate: true } },
    );
    const run = probe.run(null, { overrides: { taskResourceLocalHandlers: { Probe: () => never } } });
    try {
      await run.result;
      return undefined;
    } catch (error) {
      const cause = (error as { cause?: unknown }).cause;
      return cause instanceof Error && cause.name === 'States.Timeout' ? (cause.constructor as ErrorConstructor0) : undefined;
    } finally {
      release();
    }
  })();
  return statesTimeoutClass;
}
