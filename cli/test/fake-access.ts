// The data hub's access applications and permits in memory (lambdas/datahub/access-api.ts), added
// to a FakeHub by route name: who may do what and in which state as applications.ts and the domain
// (lambdas/domain/datahub/application.ts) decide it, the 422 problems named as the hub names them,
// and an Idempotency-Key's replay. The caller is the bearer token: "me" applies, "chair" is the
// dataset's committee, "admin" an admin; the allocation's members are me, sub-a and sub-b.
import { gateOf, termsDigest, termsTextOf } from '../../lambdas/domain/datahub/application';
import type { Recorded } from './harness';
import { ALLOC, type FakeHub } from './fake-hub';

type App = Record<string, any>;
/** An application as the routes answer it: its gate derived from its state, as the hub's view does. */
const view = (a: App): App => ({ ...a, gate: gateOf(a.state) });
const NOW = '2026-12-03T00:00:00.000Z';
const id = (prefix: string, n: number) => `${prefix}-${String(n).padStart(26, '0')}`;

export class FakeAccess {
  readonly applications = new Map<string, App>();
  readonly permits = new Map<string, App>();
  /** Idempotency-Key → application id: a retry answers 200 with the first application. */
  readonly keys = new Map<string, string>();
  /** Statuses to answer after the application is recorded: a gateway's 502, the flow start's 503. */
  readonly failNext: number[] = [];
  accessLevel = 'restricted';
  termsText?: string;
  readonly sites = ['kisti6'];
  readonly members = ['me', 'sub-a', 'sub-b'];
  private n = 0;

  constructor(readonly hub: FakeHub) {
    hub.state = 'published';
    const h = hub.handlers;
    const caller = (r: Recorded) => String(r.headers.authorization ?? '').replace(/^Bearer /, '');
    const committee = (r: Recorded) => caller(r) === 'chair' || caller(r) === 'admin';
    const err = (name: string, status: number, code: string, message: string, details: { path: string; problem: string }[] = []) => hub.answer(name, status, { error: { code, message, details } });
    const visible = (r: Recorded, a: App | undefined) => a && (a.applicant === caller(r) || committee(r));

    h.getArtifact = (_r, p) =>
      p.id === hub.id
        ? hub.answer('getArtifact', 200, hub.artifactView({ accessLevel: this.accessLevel, sites: this.sites, ...(this.termsText ? { termsText: this.termsText } : {}) }))
        : err('getArtifact', 404, 'not_found', `Dataset ${p.id} was not found`);
    h.createAccessApplication = (r, p) => {
      if (p.kind !== 'datasets' || p.id !== hub.id) return err('createAccessApplication', 404, 'not_found', `Dataset ${p.id} was not found`);
      const key = r.headers['idempotency-key'];
      const replay = key ? this.keys.get(key) : undefined;
      if (replay) return hub.answer('createAccessApplication', 200, view(this.applications.get(replay)!));
      if (this.accessLevel !== 'restricted')
        return err('createAccessApplication', 422, 'not_restricted', `Dataset ${p.id} is ${this.accessLevel}`, [{ path: 'id', problem: `is a ${this.accessLevel} dataset; only restricted datasets take access applications` }]);
      const b = r.body as App;
      const problems: { path: string; problem: string }[] = [];
      if (b.acceptTerms !== true) problems.push({ path: 'acceptTerms', problem: "must be true: the dataset's terms must be accepted" });
      if (!this.sites.includes(b.siteId)) problems.push({ path: 'siteId', problem: `holds no verified copy of ${p.id} (copies are at ${this.sites.join(', ')})` });
      if (b.allocationId !== ALLOC) problems.push({ path: 'allocationId', problem: 'names no allocation you are a member of' });
      (b.users ?? []).forEach((u: string, i: number) => this.members.includes(u) || problems.push({ path: `users[${i}]`, problem: `is not a member of allocation ${b.allocationId}` }));
      (b.versions ?? []).forEach((v: string, i: number) => v === '1.0.0' || problems.push({ path: `versions[${i}]`, problem: 'is not a published version of the dataset' }));
      if (problems.length) return err('createAccessApplication', 422, 'application_invalid', 'The application cannot be accepted', problems);
      const a: App = {
        applicationId: id('dha', ++this.n),
        datasetId: p.id,
        versions: b.versions ?? [],
        applicant: caller(r),
        purpose: b.purpose,
        allocationId: b.allocationId,
        users: [...new Set([caller(r), ...(b.users ?? [])])],
        start: b.start ?? NOW,
        end: b.end,
        siteId: b.siteId,
        terms: { digest: termsDigest(termsTextOf({ termsText: this.termsText })), acceptedAt: NOW },
        state: 'submitted',
        decisions: [],
        reminders: 0,
        createdAt: NOW,
        updatedAt: NOW,
      };
      this.applications.set(a.applicationId, a);
      if (key) this.keys.set(key, a.applicationId);
      // recorded, but the answer lost: a gateway's 502 (not the route's own answer), or the flow's 503
      const failure = this.failNext.shift();
      // (raw: the route's spec lists no 503, though applications.ts throws one when the flow does not start)
      if (failure === 503) return [503, { error: { code: 'unavailable', message: 'The application was recorded but its decision flow did not start; it is in error: apply again', details: [] } }];
      if (failure) return [failure, { message: 'Bad Gateway' }];
      return hub.answer('createAccessApplication', 201, view(a));
    };
    h.listAccessApplications = (r, p) => {
      if (p.id !== hub.id) return err('listAccessApplications', 404, 'not_found', `Dataset ${p.id} was not found`);
      if (!committee(r)) return err('listAccessApplications', 403, 'forbidden', "A dataset's access applications are shown to its data access committee, curators, admins and auditors");
      const state = new URL(r.url).searchParams.get('state');
      return hub.answer('listAccessApplications', 200, { items: [...this.applications.values()].filter((a) => !state || a.state === state).map(view) });
    };
    h.listMyAccessApplications = (r) =>
      hub.answer('listMyAccessApplications', 200, {
        items: [...this.applications.values()]
          .filter((a) => a.applicant === caller(r))
          .reverse()
          .map(view),
      });
    h.getAccessApplication = (r, p) => {
      const a = this.applications.get(p.applicationId);
      return visible(r, a) ? hub.answer('getAccessApplication', 200, view(a!)) : err('getAccessApplication', 404, 'not_found', `Access application ${p.applicationId} was not found`);
    };
    h.decideAccessApplication = (r, p) => {
      const a = this.applications.get(p.applicationId);
      if (!visible(r, a)) return err('decideAccessApplication', 404, 'not_found', `Access application ${p.applicationId} was not found`);
      if (!committee(r)) return err('decideAccessApplication', 403, 'forbidden', "Only the dataset's access committee decides");
      if (a!.applicant === caller(r)) return err('decideAccessApplication', 403, 'forbidden', 'Nobody decides their own application');
      if (a!.state !== 'submitted') return err('decideAccessApplication', 409, 'conflict', `The application is ${a!.state}`);
      const { decision, comment } = r.body as { decision: string; comment: string };
      a!.decisions.push({ decision, by: caller(r), comment, at: NOW });
      a!.state = { approve: 'approved', reject: 'rejected', return: 'returned' }[decision];
      if (decision === 'approve') {
        const permit = {
          id: id('dhp', ++this.n),
          applicationId: a!.applicationId,
          datasets: [a!.datasetId],
          versions: a!.versions,
          users: a!.users,
          sites: [a!.siteId],
          start: a!.start,
          end: a!.end,
          state: 'active',
          grantedAt: NOW,
          grantedBy: caller(r),
        };
        this.permits.set(permit.id, permit);
        a!.permitId = permit.id;
      }
      return hub.answer('decideAccessApplication', 200, view(a!));
    };
    h.withdrawAccessApplication = (r, p) => {
      const a = this.applications.get(p.applicationId);
      if (!a || a.applicant !== caller(r)) return err('withdrawAccessApplication', 404, 'not_found', `Access application ${p.applicationId} was not found`);
      if (a.state !== 'submitted' && a.state !== 'returned') return err('withdrawAccessApplication', 409, 'conflict', `The application is ${a.state}`);
      Object.assign(a, { state: 'closed', closedReason: 'withdrawn by the applicant' });
      return hub.answer('withdrawAccessApplication', 200, view(a));
    };
    h.listPermits = (r) => {
      const datasetId = new URL(r.url).searchParams.get('datasetId');
      if (datasetId && !committee(r)) return err('listPermits', 403, 'forbidden', "A dataset's permits are shown to its committee, curators, admins and auditors");
      const items = [...this.permits.values()].filter((x) => (datasetId ? x.datasets.includes(datasetId) : x.users.includes(caller(r))));
      return hub.answer('listPermits', 200, { items });
    };
    h.revokePermit = (r, p) => {
      const x = this.permits.get(p.permitId);
      if (!x) return err('revokePermit', 404, 'not_found', `Permit ${p.permitId} was not found`);
      if (!committee(r)) return err('revokePermit', 403, 'forbidden', "Only the dataset's committee or an admin revokes a permit");
      Object.assign(x, { state: 'revoked', revokedAt: NOW, revokedBy: caller(r), revokeReason: (r.body as { reason: string }).reason });
      return hub.answer('revokePermit', 200, x);
    };
  }
}
