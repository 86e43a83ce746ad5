// A version's lifecycle, aliases and site copies in memory, added to a FakeHub by route name
// (lambdas/datahub/api.ts transitions, aliases, locations; verification-api.ts verify): states and
// roles as lambdas/domain/datahub/lifecycle.ts checks them, a verification that runs for `looks`
// reads and then ends as `outcome` says, and the verify route's required Idempotency-Key and its
// 503 ("retry with the same key"). The caller is the bearer token: "steward" or "curator".
import type { Recorded } from './harness';
import type { FakeHub } from './fake-hub';

const NOW = '2026-12-03T00:00:00.000Z';
const FROM: Record<string, string> = { submit: 'draft', publish: 'curation-review', return: 'curation-review', deprecate: 'published' };
const TO: Record<string, string> = { submit: 'curation-review', publish: 'published', return: 'draft', deprecate: 'deprecated' };

export class FakeCopies {
  readonly locations = new Map<string, Record<string, any>>();
  readonly verifications = new Map<string, Record<string, any>>();
  /** Idempotency-Key → verification id: a retry answers 202 with the first verification. */
  readonly keys = new Map<string, string>();
  /** How many reads of a verification find it still running, and how it then ends. */
  looks = 2;
  outcome: 'verified' | 'failed' = 'verified';
  /** 503s to answer before a verification is started (the site cannot be reached now). */
  unreachable = 0;
  private n = 0;

  constructor(readonly hub: FakeHub) {
    const h = hub.handlers;
    const who = (r: Recorded) => String(r.headers.authorization ?? '').replace(/^Bearer /, '');
    const err = (name: string, status: number, code: string, message: string, details: { path: string; problem: string }[] = []) => hub.answer(name, status, { error: { code, message, details } });
    const mine = (p: Record<string, string>) => p.kind === hub.kind && p.id === hub.id && (p.version === undefined || p.version === '1.0.0');

    h.transitionArtifactVersion = (r, p) => {
      const name = 'transitionArtifactVersion';
      if (!mine(p)) return err(name, 404, 'not_found', `Version ${p.id}@${p.version} was not found`);
      const t = r.body as { action: string; note?: string; reason?: string; successor?: unknown };
      const curates = t.action === 'publish' || t.action === 'return';
      if (curates !== (who(r) === 'curator'))
        return err(name, 403, 'forbidden', curates ? 'A curator may not curate an artifact they steward; another curator must' : 'Only a steward of the artifact (or an admin) submits a version for curation');
      if (hub.state !== FROM[t.action]) return err(name, 409, 'wrong_state', `Version 1.0.0 is ${hub.state}; ${t.action} needs a version in ${FROM[t.action]}`, [{ path: 'state', problem: `is ${hub.state}, not ${FROM[t.action]}` }]);
      if (t.action === 'return' && !t.note) return err(name, 422, 'note_required', 'A return says what to change', [{ path: 'note', problem: 'is required to return a version' }]);
      if (t.action === 'deprecate' && (!t.reason || !t.successor))
        return err(name, 422, 'successor_required', 'A deprecation names its successor and reason', [{ path: t.reason ? 'successor' : 'reason', problem: 'is required to deprecate' }]);
      hub.state = TO[t.action] as typeof hub.state;
      return hub.answer(name, 200, { ...hub.versionView(), ...(t.successor ? { successor: t.successor, deprecationReason: t.reason } : {}) });
    };
    h.putArtifactAlias = (r, p) => {
      const { version } = r.body as { version: string };
      if (!mine(p)) return err('putArtifactAlias', 404, 'not_found', `Artifact ${p.id} was not found`);
      if (version !== '1.0.0' || (hub.state !== 'published' && hub.state !== 'deprecated'))
        return err('putArtifactAlias', 422, 'not_published', 'An alias names a published version', [{ path: 'version', problem: 'is not a published version' }]);
      hub.aliases[p.alias] = version;
      return hub.answer('putArtifactAlias', 200, hub.artifactView());
    };
    h.deleteArtifactAlias = (_r, p) => {
      if (!mine(p) || !(p.alias in hub.aliases)) return err('deleteArtifactAlias', 404, 'not_found', `Alias ${p.alias} was not found`);
      delete hub.aliases[p.alias];
      return hub.answer('deleteArtifactAlias', 200, hub.artifactView());
    };
    h.addArtifactLocation = (r, p) => {
      if (!mine(p)) return err('addArtifactLocation', 404, 'not_found', `Version ${p.id}@${p.version} was not found`);
      const b = r.body as { siteId: string; root: string; path: string };
      const locationId = `${b.siteId}.${b.root}`;
      if (this.locations.has(locationId)) return err('addArtifactLocation', 409, 'location_exists', 'That copy is registered already');
      const l = { locationId, kind: 'site', siteId: b.siteId, root: b.root, path: b.path, sitePath: `/scratch/kairr/${b.path}`, state: 'pending', createdAt: NOW, updatedAt: NOW };
      this.locations.set(locationId, l);
      return hub.answer('addArtifactLocation', 201, l);
    };
    h.listArtifactLocations = (_r, p) => (mine(p) ? hub.answer('listArtifactLocations', 200, { items: [...this.locations.values()] }) : err('listArtifactLocations', 404, 'not_found', 'no such version'));
    h.verifyArtifactLocation = (r, p) => {
      const name = 'verifyArtifactLocation';
      const key = r.headers['idempotency-key'];
      if (!key) return err(name, 400, 'validation_failed', 'The request is invalid', [{ path: 'headers.Idempotency-Key', problem: 'is required' }]);
      const l = this.locations.get(p.locationId);
      if (!mine(p) || !l) return err(name, 404, 'not_found', `Location ${p.locationId} was not found`);
      if (this.unreachable > 0) {
        this.unreachable--;
        return err(name, 503, 'site_unreachable', 'The site cannot be reached now; retry with the same Idempotency-Key');
      }
      const replay = this.keys.get(key);
      if (replay) return hub.answer(name, 202, this.verifications.get(replay));
      const b = r.body as { allocationId: string; resource: string };
      const verificationId = `vfy-${String(++this.n).padStart(26, '0')}`;
      const v = {
        verificationId,
        artifactId: hub.id,
        kind: hub.kind === 'datasets' ? 'dataset' : 'model',
        version: '1.0.0',
        locationId: l.locationId,
        siteId: l.siteId,
        sitePath: l.sitePath,
        allocationId: b.allocationId,
        resource: b.resource,
        mode: 'compare',
        state: 'running',
        jobId: `job-${String(this.n).padStart(26, '0')}`,
        reportPath: `/scratch/kairr/.reports/${verificationId}.json`,
        createdAt: NOW,
        updatedAt: NOW,
        reads: 0,
      };
      this.verifications.set(verificationId, v);
      this.keys.set(key, verificationId);
      return hub.answer(name, 202, this.view(v));
    };
    h.getArtifactLocationVerification = (_r, p) => {
      const v = this.verifications.get(p.verificationId);
      if (!mine(p) || !v || v.locationId !== p.locationId) return err('getArtifactLocationVerification', 404, 'not_found', `Verification ${p.verificationId} was not found`);
      if (v.state === 'running' && ++v.reads >= this.looks) this.end(v);
      return hub.answer('getArtifactLocationVerification', 200, this.view(v));
    };
  }

  private end(v: Record<string, any>): void {
    const l = this.locations.get(v.locationId)!;
    Object.assign(
      v,
      { state: this.outcome, schedulerJobId: '4242', endedAt: NOW, files: 3 },
      this.outcome === 'failed' ? { code: 'copy_differs', reason: 'data/big.bin differs from the manifest', problems: [{ path: 'data/big.bin', problem: 'sha256 differs' }], problemCount: 1 } : { bytes: 11_534_345 },
    );
    Object.assign(l, { state: this.outcome, ...(this.outcome === 'verified' ? { lastVerifiedAt: NOW } : { reason: v.reason }) });
  }

  private view(v: Record<string, any>) {
    const { reads: _reads, ...rest } = v;
    return rest;
  }
}
