// The data hub's domain rules: licences, manifest pages, the lifecycle and who may see what.
import {
  applyTransition,
  assertMutable,
  authorizeTransition,
  canCurate,
  canReadArtifact,
  canReadVersion,
  canSeeLocations,
  checkOrgId,
  compareVersions,
  MANIFEST_LIMITS,
  pageLimitProblem,
  paddedVersion,
  parseLicence,
  pathProblem,
  validatePage,
} from '../../../lambdas/domain/datahub';
import { ConflictError, ForbiddenError, RuleViolationError } from '../../../lambdas/domain/errors';
import { artifact, version } from './fixtures';

describe('licences are SPDX expressions', () => {
  it('accepts ids, operators and exceptions in any case and returns the canonical form', () => {
    const r = parseLicence('(mit or apache-2.0) and cc-by-4.0');
    expect(r).toEqual({ ok: true, expression: '(MIT OR Apache-2.0) AND CC-BY-4.0', ids: ['MIT', 'Apache-2.0', 'CC-BY-4.0'] });
    expect(parseLicence('GPL-2.0-or-later WITH classpath-exception-2.0')).toMatchObject({ ok: true, expression: 'GPL-2.0-or-later WITH Classpath-exception-2.0' });
    expect(parseLicence('LicenseRef-kisti-data-1')).toMatchObject({ ok: true, ids: ['LicenseRef-kisti-data-1'] });
  });
  it('names an unknown id, a deprecated id and a malformed expression', () => {
    expect(parseLicence('Foo-1.0')).toEqual({ ok: false, problem: expect.stringContaining('"Foo-1.0" is not an SPDX licence id') });
    expect(parseLicence('GPL-2.0')).toEqual({ ok: false, problem: expect.stringContaining('deprecated') });
    expect(parseLicence('MIT AND')).toEqual({ ok: false, problem: expect.stringContaining('not a valid SPDX expression') });
    expect(parseLicence('MIT WITH Nope-exception')).toEqual({ ok: false, problem: expect.stringContaining('not an SPDX licence exception') });
    expect(parseLicence('  ')).toEqual({ ok: false, problem: 'must not be empty' });
  });
});

describe('manifest pages', () => {
  const file = (path: string, over: object = {}) => ({ path, bytes: 10, sha256: 'ab'.repeat(32), mediaType: 'text/csv', ...over });

  it('refuses ".." and absolute paths, and other unsafe names, naming each', () => {
    expect(pathProblem('../etc/passwd')).toMatch(/\.\./);
    expect(pathProblem('a/../b')).toMatch(/\.\./);
    expect(pathProblem('/abs/path')).toMatch(/relative/);
    expect(pathProblem('C:/x')).toMatch(/drive letter/);
    expect(pathProblem('a//b')).toMatch(/empty segments/);
    expect(pathProblem('a\\b')).toMatch(/\\/);
    expect(pathProblem('한글/파일.csv')).toBeUndefined();
    expect(pathProblem('\u1112\u1161\u11ab.txt')).toMatch(/NFC/);
    expect(pathProblem('x'.repeat(MANIFEST_LIMITS.maxPathBytes + 1))).toMatch(/UTF-8 bytes/);
  });

  it('names every bad field of a page and normalises the good ones', () => {
    const r = validatePage([file('ok.csv', { sha256: 'AB'.repeat(32), mediaType: 'Text/CSV' }), file('/abs.csv'), file('b.csv', { sha256: 'xyz' }), file('c.csv', { bytes: -1 }), file('d.csv', { mediaType: 'csv' }), file('ok.csv')]);
    expect(r.problems).toEqual([
      { path: 'files[1].path', problem: expect.stringContaining('relative') },
      { path: 'files[2].sha256', problem: expect.stringContaining('64 hexadecimal digits') },
      { path: 'files[3].bytes', problem: expect.stringContaining('whole number') },
      { path: 'files[4].mediaType', problem: expect.stringContaining('media type') },
      { path: 'files[5].path', problem: 'repeats files[0].path' },
    ]);
    expect(r.files[0]).toEqual({ path: 'ok.csv', bytes: 10, sha256: 'ab'.repeat(32), mediaType: 'text/csv' });
  });

  it('limits a page and the whole manifest (at least 100,000 files, in pages)', () => {
    expect(MANIFEST_LIMITS.maxFiles).toBeGreaterThanOrEqual(100_000);
    const big = Array.from({ length: MANIFEST_LIMITS.maxFilesPerPage + 1 }, (_, i) => file(`f${i}`));
    expect(validatePage(big).problems).toContainEqual({ path: 'files', problem: expect.stringContaining('at most 1000 files per page') });
    const pages = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [String(i + 1), { files: 1000, bytes: 1, digest: 'x' }]));
    expect(pageLimitProblem(pages, 201, 1)).toEqual({ path: 'files', problem: expect.stringContaining('over its limit of 200000') });
    expect(pageLimitProblem({}, 0, 1)).toEqual({ path: 'params.page', problem: expect.any(String) });
    expect(pageLimitProblem({}, 1, 1000)).toBeUndefined();
  });
});

describe('versions', () => {
  it('orders by number, not by text', () => {
    expect(compareVersions('1.10.0', '1.9.0')).toBeGreaterThan(0);
    expect(paddedVersion('1.10.0') > paddedVersion('1.9.0')).toBe(true);
  });

  const now = new Date('2026-04-01T00:00:00Z');
  const steward = { sub: 'steward-1', roles: ['researcher'] };
  const curator = { sub: 'curator-1', roles: ['curator'] };

  it('goes draft -> curation-review -> published -> deprecated', () => {
    const a = artifact();
    let v = version({ state: 'draft', publishedAt: undefined, publishedBy: undefined });
    authorizeTransition(a, { action: 'submit' }, steward);
    v = applyTransition(v, { action: 'submit' }, 'steward-1', now);
    expect(v).toMatchObject({ state: 'curation-review', submittedBy: 'steward-1' });
    authorizeTransition(a, { action: 'publish' }, curator);
    v = applyTransition(v, { action: 'publish' }, 'curator-1', now);
    expect(v).toMatchObject({ state: 'published', publishedBy: 'curator-1', publishedAt: now.toISOString() });
    const successor = { artifactId: a.id, version: '1.1.0' };
    v = applyTransition(v, { action: 'deprecate', reason: 'label errors', successor }, 'steward-1', now);
    expect(v).toMatchObject({ state: 'deprecated', successor, deprecationReason: 'label errors' });
  });

  it('a curator returns a version to draft with a note; an empty version or a model without a card cannot be submitted', () => {
    const back = applyTransition(version({ state: 'curation-review' }), { action: 'return', note: 'add a README' }, 'curator-1', now);
    expect(back).toMatchObject({ state: 'draft', curationNote: 'add a README' });
    expect(() => applyTransition(version({ state: 'draft', files: 0 }), { action: 'submit' }, 's', now)).toThrow(RuleViolationError);
    expect(() => applyTransition(version({ state: 'draft', kind: 'model' }), { action: 'submit' }, 's', now)).toThrow(/model card/);
  });

  it('published versions never change', () => {
    expect(() => assertMutable(version({ state: 'published' }))).toThrow(ConflictError);
    expect(() => assertMutable(version({ state: 'published' }))).toThrow(/never change/);
    expect(() => applyTransition(version({ state: 'published' }), { action: 'submit' }, 's', now)).toThrow(/never change/);
    expect(() => applyTransition(version({ state: 'draft' }), { action: 'publish' }, 'c', now)).toThrow(/needs a version in curation-review/);
    expect(() => applyTransition(version(), { action: 'deprecate', reason: 'x', successor: { artifactId: 'ds-01jd3x8e0c7k9m2n4p6q8r0s2t', version: '1.0.0' } }, 's', now)).toThrow(/succeed itself/);
  });

  it('four eyes: a curator who stewards the artifact may not curate it; stewards and researchers may not publish', () => {
    const a = artifact({ stewards: ['steward-1', 'curator-1'] });
    expect(canCurate(a, curator)).toBe(false);
    expect(() => authorizeTransition(a, { action: 'publish' }, curator)).toThrow(/another curator/);
    expect(() => authorizeTransition(artifact(), { action: 'publish' }, steward)).toThrow(ForbiddenError);
    expect(() => authorizeTransition(artifact(), { action: 'submit' }, { sub: 'someone', roles: ['researcher'] })).toThrow(ForbiddenError);
    expect(() => authorizeTransition(artifact(), { action: 'submit' }, { sub: 'root', roles: ['admin'] })).not.toThrow();
  });
});

describe('access rules', () => {
  const anon = { roles: [] };
  const researcher = { sub: 'r1', roles: ['researcher'] };
  const auditor = { sub: 'a1', roles: ['auditor'] };

  it('public metadata for anyone; registered and restricted metadata for signed-in users; nothing unpublished', () => {
    expect(canReadArtifact(artifact(), anon)).toBe(true);
    expect(canReadArtifact(artifact({ accessLevel: 'registered' }), anon)).toBe(false);
    expect(canReadArtifact(artifact({ accessLevel: 'restricted' }), researcher)).toBe(true);
    expect(canReadArtifact(artifact({ publishedVersions: [] }), researcher)).toBe(false);
    expect(canReadArtifact(artifact({ publishedVersions: [] }), auditor)).toBe(true);
    expect(canReadVersion(artifact(), 'draft', researcher)).toBe(false);
    expect(canReadVersion(artifact(), 'draft', { sub: 'steward-1', roles: ['researcher'] })).toBe(true);
  });

  it('locations: signed-in users for public and registered data; restricted data only for stewards and staff (permits come later)', () => {
    expect(canSeeLocations(artifact(), 'published', anon)).toBe(false);
    expect(canSeeLocations(artifact(), 'published', researcher)).toBe(true);
    expect(canSeeLocations(artifact({ accessLevel: 'restricted' }), 'published', researcher)).toBe(false);
    expect(canSeeLocations(artifact({ accessLevel: 'restricted' }), 'published', researcher, true)).toBe(true);
    expect(canSeeLocations(artifact({ accessLevel: 'restricted' }), 'published', auditor)).toBe(true);
    expect(canSeeLocations(artifact(), 'draft', researcher)).toBe(false);
  });

  it('organisation owners are checked by the registry shape', () => {
    expect(checkOrgId('org-kisti')).toEqual({ ok: true, orgId: 'org-kisti' });
    expect(checkOrgId('KISTI')).toMatchObject({ ok: false });
  });
});
