// A version's lifecycle: draft -> curation-review -> published -> deprecated, and a curator may
// return a version in review to draft with a note. Published versions never change: a correction is
// a new version. Each transition checks who acts and the version's state, and names what is wrong.
import { ConflictError, ForbiddenError, RuleViolationError } from '../errors';
import { canCurate, canEdit, isSteward, type Viewer } from './access';
import type { Artifact, Version, VersionRef, VersionState } from './model';

export type Transition = { action: 'submit' } | { action: 'publish'; note?: string } | { action: 'return'; note: string } | { action: 'deprecate'; reason: string; successor: VersionRef };

const FROM: Record<Transition['action'], VersionState> = {
  submit: 'draft',
  publish: 'curation-review',
  return: 'curation-review',
  deprecate: 'published',
};

/** Throws unless the version may still change (drafts only): manifest pages, card, changelog. */
export function assertMutable(v: Pick<Version, 'state' | 'version'>, what = 'it'): void {
  if (v.state === 'published' || v.state === 'deprecated')
    throw new ConflictError(`Version ${v.version} is ${v.state}; published versions never change: make a new version to correct ${what}`, [{ path: 'version', problem: `is ${v.state}` }], 'version_immutable');
  if (v.state !== 'draft') throw new ConflictError(`Version ${v.version} is in curation review; a curator must return it before it changes`, [{ path: 'version', problem: `is ${v.state}` }], 'version_in_review');
}

export function authorizeTransition(a: Artifact, t: Transition, viewer: Viewer): void {
  switch (t.action) {
    case 'submit':
      if (!canEdit(a, viewer)) throw new ForbiddenError('Only a steward of the artifact (or an admin) submits a version for curation');
      return;
    case 'publish':
    case 'return':
      if (!canCurate(a, viewer)) throw new ForbiddenError(isSteward(a, viewer) ? 'A curator may not curate an artifact they steward; another curator must' : 'Only a curator publishes or returns a version');
      return;
    case 'deprecate':
      if (!canEdit(a, viewer) && !viewer.roles.includes('curator')) throw new ForbiddenError('Only a steward, a curator or an admin deprecates a version');
      return;
  }
}

/** The version after the transition, or an error naming the field; `successor` is checked by the caller (it is another item). */
export function applyTransition(v: Version, t: Transition, by: string, now: Date): Version {
  const from = FROM[t.action];
  if (v.state !== from) {
    if (t.action === 'submit' && v.state !== 'draft') assertMutable(v);
    throw new ConflictError(`Version ${v.version} is ${v.state}; ${t.action} needs a version in ${from}`, [{ path: 'state', problem: `is ${v.state}, not ${from}` }], 'wrong_state');
  }
  const at = now.toISOString();
  switch (t.action) {
    case 'submit': {
      if (v.files === 0) throw new RuleViolationError('A version needs at least one file before curation', [{ path: 'manifest', problem: 'has no files' }], 'manifest_empty');
      if (v.kind === 'model' && !v.modelCard) throw new RuleViolationError('A model version needs its model card before curation', [{ path: 'modelCard', problem: 'is required for a model' }], 'model_card_missing');
      const { curationNote: _n, ...rest } = v;
      return { ...rest, state: 'curation-review', submittedAt: at, submittedBy: by };
    }
    case 'publish':
      return { ...v, state: 'published', publishedAt: at, publishedBy: by, ...(t.note ? { curationNote: t.note } : {}) };
    // (the caller stamps the artifact's licence on the version as it publishes it)
    case 'return':
      return { ...v, state: 'draft', curationNote: t.note };
    case 'deprecate':
      if (t.successor.artifactId === v.artifactId && t.successor.version === v.version)
        throw new RuleViolationError('A version cannot succeed itself', [{ path: 'successor', problem: 'names the version being deprecated' }], 'successor_self');
      return { ...v, state: 'deprecated', deprecatedAt: at, deprecatedBy: by, deprecationReason: t.reason, successor: t.successor };
  }
}
