// Internships: a host organisation's hosts (or its managers, or admins) post one (field, period,
// places, requirements); researchers apply, once per posting; the host selects within the places
// (a counter changed with ADD under `selected < places`, so two hosts deciding at once cannot
// over-select); applicants see their state. Joining the host allocation is the next wave
// (docs/people.md): here a posting that names its host allocation must fit within its dates.
import type { Caller } from '../shared/http/caller';
import { keys, peopleGsi, peopleKeys } from '../shared/store/keys';
import { commit, retryOnStale, type AuditContext, type SideWrite } from '../shared/store/write-path';
import { ConflictError, KairrError, NotFoundError, RuleViolationError, ValidationError } from '../domain/errors';
import { newId } from '../domain/ids';
import { applicationId, internshipProblems, periodWithin, type Application, type CreateInternshipBody, type Internship } from '../domain/people';
import { asHost, asResearcher } from './access';
import { orgDirectory, snapshotOf } from './org-directory';
import { applicationItem, batchGet, getItem, internshipItem, mustGet, queryAllIndex, strip } from './store';

export async function createInternship(c: Caller, body: CreateInternshipBody, requestId: string, record: (i: Internship) => SideWrite[], now = new Date()): Promise<Internship> {
  if (!(await orgDirectory().get(body.hostOrgId))) throw ValidationError.field('hostOrgId', `"${body.hostOrgId}" is not an organisation in the directory`);
  const role = await asHost(c, body.hostOrgId, 'post its internships');
  const problems = internshipProblems(body, now);
  if (problems.length) throw new ValidationError(problems, `The internship is invalid: ${problems.map((p) => `${p.path} ${p.problem}`).join('; ')}`);
  if (body.hostAllocationId) {
    const alloc = await getItem(keys.allocation(body.hostAllocationId));
    if (!alloc) throw ValidationError.field('hostAllocationId', `"${body.hostAllocationId}" is not an allocation`);
    const outside = periodWithin(body.period, { startDate: String(alloc.startDate), endDate: String(alloc.endDate) });
    if (outside.length) throw new RuleViolationError("The internship's period is outside the host allocation's dates", outside, 'period_outside_allocation');
  }
  const at = now.toISOString();
  const i: Internship = { ...body, id: newId('int'), selected: 0, status: 'open', createdAt: at, updatedAt: at, createdBy: c.sub };
  await commit(
    { actor: { sub: c.sub, role }, requestId, now },
    {
      changes: [{ subject: { type: 'internship', id: i.id }, before: null, after: internshipItem(i), action: 'internship.post', details: { hostOrgId: i.hostOrgId, places: i.places, period: i.period } }],
      sideWrites: [{ put: { ...peopleKeys.internshipPlaces(i.id), places: i.places, selected: 0 }, condition: { expression: 'attribute_not_exists(pk)' } }, ...record(i)],
    },
  );
  return i;
}

export async function setInternshipStatus(c: Caller, id: string, status: 'open' | 'closed', reason: string | undefined, requestId: string): Promise<Internship> {
  return retryOnStale(async () => {
    const { value: i, item } = await mustGet<Internship>(peopleKeys.internship(id), 'Internship', id);
    const role = await asHost(c, i.hostOrgId, 'change its postings');
    if (i.status === status) return i;
    const next = { ...i, status, updatedAt: new Date().toISOString() };
    await commit(
      { actor: { sub: c.sub, role }, requestId, reason: reason ?? null },
      { changes: [{ subject: { type: 'internship', id }, before: item, after: internshipItem(next), action: `internship.${status === 'closed' ? 'close' : 'reopen'}` }] },
    );
    return next;
  });
}

export async function readInternship(id: string): Promise<Internship> {
  const { value: i } = await mustGet<Internship>(peopleKeys.internship(id), 'Internship', id);
  const places = await getItem(peopleKeys.internshipPlaces(id));
  return { ...i, selected: Number(places?.selected ?? 0) };
}

export async function listInternships(f: { field?: string; hostOrgId?: string; status?: string }): Promise<Internship[]> {
  const items = f.hostOrgId ? await queryAllIndex('gsi2', peopleGsi.internshipsOfHost(f.hostOrgId)) : await queryAllIndex('gsi1', peopleGsi.internships);
  const places = items.length ? await batchGet(items.map((it) => peopleKeys.internshipPlaces(String(it.id)))) : [];
  const selected = new Map(places.map((p) => [String(p.pk).slice('INTERN#'.length), Number(p.selected ?? 0)]));
  return items
    .map((it) => strip<Internship>(it))
    .map((i) => ({ ...i, selected: selected.get(i.id) ?? 0 }))
    .filter((i) => (f.status ?? 'open') === 'all' || i.status === (f.status ?? 'open'))
    .filter((i) => !f.field || i.field === f.field)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}

export async function apply(c: Caller, internshipId: string, statement: string, requestId: string, record: (a: Application) => SideWrite[], now = new Date()): Promise<Application> {
  asResearcher(c, 'apply for internships');
  const { value: i } = await mustGet<Internship>(peopleKeys.internship(internshipId), 'Internship', internshipId);
  if (i.status !== 'open' || now.getTime() > Date.parse(i.applicationDeadline))
    throw new RuleViolationError('This internship no longer takes applications', [{ path: 'internshipId', problem: i.status !== 'open' ? 'is closed' : `closed for applications at ${i.applicationDeadline}` }], 'applications_closed');
  const id = applicationId(internshipId, c.sub);
  const org = await snapshotOf(c.sub);
  return retryOnStale(async () => {
    const item = await getItem(peopleKeys.application(id));
    const prev = item ? strip<Application>(item) : null;
    if (prev && prev.state !== 'withdrawn') throw new ConflictError(`You already applied (${prev.state})`, [{ path: 'internshipId', problem: `already ${prev.state}` }], 'already_applied');
    const at = now.toISOString();
    const a: Application = { id, internshipId, hostOrgId: i.hostOrgId, applicantSub: c.sub, displayName: c.name ?? c.username ?? c.sub, statement, state: 'submitted', appliedAt: at, updatedAt: at, ...org };
    await commit(
      { actor: { sub: c.sub, role: 'researcher' }, requestId, now },
      { changes: [{ subject: { type: 'internship-application', id }, before: item, after: applicationItem(a), action: 'internship.apply', details: { internshipId } }], sideWrites: record(a) },
    );
    return a;
  });
}

class PlacesFull extends KairrError {
  constructor(places: number) {
    super(422, 'places_full', `All ${places} places of this internship are taken`, [{ path: 'decision', problem: `all ${places} places are already selected` }]);
  }
}

export async function decide(c: Caller, appId: string, decision: 'selected' | 'rejected', reason: string | undefined, requestId: string): Promise<Application> {
  return retryOnStale(async () => {
    const { value: a, item } = await mustGet<Application>(peopleKeys.application(appId), 'Application', appId);
    const role = await asHost(c, a.hostOrgId, 'decide its applications');
    if (a.state === decision) return a;
    if (a.state !== 'submitted') throw new RuleViolationError(`An application that is ${a.state} cannot be ${decision}`, [{ path: 'decision', problem: `the application is ${a.state}` }], 'invalid_transition');
    const { value: i } = await mustGet<Internship>(peopleKeys.internship(a.internshipId), 'Internship', a.internshipId);
    const next: Application = { ...a, state: decision, updatedAt: new Date().toISOString(), decidedBy: c.sub };
    const sideWrites: SideWrite[] =
      decision === 'selected' ? [{ update: { key: peopleKeys.internshipPlaces(i.id), expression: 'ADD selected :one', values: { ':one': 1 } }, condition: { expression: 'selected < places' }, failure: () => new PlacesFull(i.places) }] : [];
    const ctx: AuditContext = { actor: { sub: c.sub, role }, requestId, reason: reason ?? null };
    await commit(ctx, {
      changes: [{ subject: { type: 'internship-application', id: appId }, before: item, after: applicationItem(next), action: `internship.${decision === 'selected' ? 'select' : 'reject'}`, details: { internshipId: a.internshipId } }],
      sideWrites,
    });
    return next;
  });
}

/** The applicant withdraws; a selected applicant's place frees for another. */
export async function withdrawApplication(c: Caller, appId: string, requestId: string): Promise<Application> {
  return retryOnStale(async () => {
    const { value: a, item } = await mustGet<Application>(peopleKeys.application(appId), 'Application', appId);
    if (a.applicantSub !== c.sub) throw new NotFoundError('Application', appId); // someone else's is answered like a missing one
    if (a.state === 'withdrawn') return a;
    if (a.state === 'rejected') throw new RuleViolationError('A rejected application cannot be withdrawn', [{ path: 'applicationId', problem: 'is rejected' }], 'invalid_transition');
    const next: Application = { ...a, state: 'withdrawn', updatedAt: new Date().toISOString() };
    const sideWrites: SideWrite[] = a.state === 'selected' ? [{ update: { key: peopleKeys.internshipPlaces(a.internshipId), expression: 'ADD selected :minus', values: { ':minus': -1 } } }] : [];
    await commit(
      { actor: { sub: c.sub, role: 'researcher' }, requestId },
      { changes: [{ subject: { type: 'internship-application', id: appId }, before: item, after: applicationItem(next), action: 'internship.withdraw', details: { internshipId: a.internshipId, from: a.state } }], sideWrites },
    );
    return next;
  });
}

export async function applicationsTo(c: Caller, internshipId: string): Promise<Application[]> {
  const { value: i } = await mustGet<Internship>(peopleKeys.internship(internshipId), 'Internship', internshipId);
  await asHost(c, i.hostOrgId, 'see its applications');
  return (await queryAllIndex('gsi2', peopleGsi.applicationsTo(internshipId))).map((it) => strip<Application>(it));
}
