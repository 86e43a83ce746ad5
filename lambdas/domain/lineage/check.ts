// A run-time check that an event KAIRR is about to store or forward keeps OpenLineage 2-0-2's
// rules for a RunEvent, and the required fields of the facets KAIRR uses (ParentRun 1-2-0,
// Symlinks 1-0-1, JobType 2-0-4, ErrorMessage 1-0-1). It is the shipped JSON Schemas
// (./openlineage/) rule for rule, small enough for a Lambda bundle: the tests validate the same
// events with ajv against those schemas and require both to agree.
import { EVENT_TYPES } from './events';

export interface EventProblem {
  path: string;
  problem: string;
}

// the formats as ajv-formats' "full" mode checks them
const DATE_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[tT]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([zZ]|[+-]([01]\d|2[0-3]):?[0-5]\d)$/;
const UUID = /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;
const URI = /^[a-z][a-z0-9+\-.]*:[^\s]*$/i;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkRunEvent(event: unknown): EventProblem[] {
  const out: EventProblem[] = [];
  const add = (path: string, problem: string): void => void out.push({ path, problem });
  const str = (o: Obj, key: string, path: string, format?: 'date-time' | 'uri' | 'uuid', required = true): void => {
    const v = o[key];
    if (v === undefined) {
      if (required) add(`${path}${key}`, 'is required');
      return;
    }
    if (typeof v !== 'string') {
      add(`${path}${key}`, 'must be a string');
      return;
    }
    if (format === 'date-time' && !(DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)))) add(`${path}${key}`, 'must be an RFC 3339 date-time');
    if (format === 'uri' && !URI.test(v)) add(`${path}${key}`, 'must be a URI');
    if (format === 'uuid' && !UUID.test(v)) add(`${path}${key}`, 'must be a UUID');
  };
  // `deletable`: JobFacet and DatasetFacet define _deleted (a boolean); run and input/output facets do not
  const facets = (v: unknown, path: string, known: Record<string, (f: Obj, p: string) => void> = {}, deletable = false): void => {
    if (v === undefined) return;
    if (!isObj(v)) {
      add(path, 'must be an object');
      return;
    }
    for (const [name, f] of Object.entries(v)) {
      if (!isObj(f)) {
        add(`${path}.${name}`, 'must be an object');
        continue;
      }
      str(f, '_producer', `${path}.${name}.`, 'uri');
      str(f, '_schemaURL', `${path}.${name}.`, 'uri');
      if (deletable && f._deleted !== undefined && typeof f._deleted !== 'boolean') add(`${path}.${name}._deleted`, 'must be a boolean');
      known[name]?.(f, `${path}.${name}.`);
    }
  };
  const dataset = (d: unknown, path: string, extra: 'inputFacets' | 'outputFacets'): void => {
    if (!isObj(d)) {
      add(path, 'must be an object');
      return;
    }
    str(d, 'namespace', `${path}.`);
    str(d, 'name', `${path}.`);
    facets(d.facets, `${path}.facets`, { symlinks: symlinksFacet }, true);
    facets(d[extra], `${path}.${extra}`);
  };

  if (!isObj(event)) return [{ path: '', problem: 'must be an object' }];
  str(event, 'eventTime', '', 'date-time');
  str(event, 'producer', '', 'uri');
  str(event, 'schemaURL', '', 'uri');
  if (event.eventType !== undefined && !EVENT_TYPES.includes(event.eventType as never)) add('eventType', `must be one of ${EVENT_TYPES.join(', ')}`);
  if (!isObj(event.run)) add('run', event.run === undefined ? 'is required' : 'must be an object');
  else {
    str(event.run, 'runId', 'run.', 'uuid');
    facets(event.run.facets, 'run.facets', { parent: parentFacet, errorMessage: errorMessageFacet });
  }
  if (!isObj(event.job)) add('job', event.job === undefined ? 'is required' : 'must be an object');
  else {
    str(event.job, 'namespace', 'job.');
    str(event.job, 'name', 'job.');
    facets(event.job.facets, 'job.facets', { jobType: jobTypeFacet }, true);
  }
  for (const [key, extra] of [
    ['inputs', 'inputFacets'],
    ['outputs', 'outputFacets'],
  ] as const) {
    const list = event[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) add(key, 'must be an array');
    else list.forEach((d, i) => dataset(d, `${key}[${i}]`, extra));
  }
  return out;

  function parentFacet(f: Obj, p: string) {
    if (!isObj(f.run)) add(`${p}run`, 'is required');
    else str(f.run, 'runId', `${p}run.`, 'uuid');
    if (!isObj(f.job)) add(`${p}job`, 'is required');
    else {
      str(f.job, 'namespace', `${p}job.`);
      str(f.job, 'name', `${p}job.`);
    }
    if (f.root !== undefined) {
      if (!isObj(f.root) || !isObj(f.root.run) || !isObj(f.root.job)) add(`${p}root`, 'must name its run and job');
      else {
        str(f.root.run, 'runId', `${p}root.run.`, 'uuid');
        str(f.root.job, 'namespace', `${p}root.job.`);
        str(f.root.job, 'name', `${p}root.job.`);
      }
    }
  }
  function symlinksFacet(f: Obj, p: string): void {
    if (f.identifiers === undefined) return;
    if (!Array.isArray(f.identifiers)) {
      add(`${p}identifiers`, 'must be an array');
      return;
    }
    f.identifiers.forEach((id, i): void => {
      if (!isObj(id)) {
        add(`${p}identifiers[${i}]`, 'must be an object');
        return;
      }
      for (const k of ['namespace', 'name', 'type']) str(id, k, `${p}identifiers[${i}].`);
    });
  }
  function jobTypeFacet(f: Obj, p: string) {
    str(f, 'processingType', p);
    str(f, 'integration', p);
    str(f, 'jobType', p, undefined, false);
  }
  function errorMessageFacet(f: Obj, p: string) {
    str(f, 'message', p);
    str(f, 'programmingLanguage', p);
    str(f, 'stackTrace', p, undefined, false);
  }
}
