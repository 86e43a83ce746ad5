// Enrolment: applied → enrolled (a seat is free) or waitlisted (none is) → moves up in ticket order
// when a place frees → completed | withdrawn | no-show.
//
// Race-free without reading the seat counter first. Each instance has one counter item (SEATS:
// capacity, enrolled, waiting, nextTicket) changed with ADD inside the enrolment's own audited
// transaction, guarded by exactly one of two complementary conditions:
//   take a seat     enrolled < capacity AND waiting = 0        (nobody may jump the waitlist)
//   join waitlist   enrolled >= capacity OR waiting > 0
// One of the two always holds, so an applicant who loses a race simply tries the other. Waitlisted
// applicants take a ticket (an atomic ADD on the same counter) and a WAIT#<ticket> entry in the
// instance's partition: a consistent query of those entries is the waitlist in order. A freed seat
// is given to the head of the waitlist in the same transaction as the withdrawal; fillFreeSeats()
// repairs anything left over (a raised capacity, a crash between steps).
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Caller } from '../shared/http/caller';
import { ddb, mainTable } from '../shared/store/client';
import { peopleKeys } from '../shared/store/keys';
import { commit, StaleWriteError, type AuditContext, type Change, type Item, type SideWrite } from '../shared/store/write-path';
import { ConflictError, KairrError, RuleViolationError } from '../domain/errors';
import { enrolmentId, enrolmentWindow, type Course, type Enrolment, type EnrolmentState, type Instance, type Seats } from '../domain/people';
import { getItem, mustGet, queryPrefix, strip, enrolmentItem } from './store';
import { snapshotOf } from './org-directory';

class SeatsChanged extends KairrError {
  constructor() {
    super(409, 'seats_changed', 'The seats changed while enrolling; try again');
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Transaction conflicts and lost races on the hot counter: retried here with jittered backoff. */
function isContention(e: unknown): boolean {
  const err = e as { name?: string; CancellationReasons?: { Code?: string }[] };
  if (e instanceof SeatsChanged || e instanceof StaleWriteError) return true;
  if (err.name === 'TransactionConflictException') return true;
  return err.name === 'TransactionCanceledException' && !!err.CancellationReasons?.some((r) => r.Code === 'TransactionConflict');
}

async function withContention<T>(run: (attempt: number) => Promise<T>, attempts = 60): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await run(i);
    } catch (e) {
      if (!isContention(e) || i + 1 >= attempts) throw e;
      await sleep(Math.random() * 5 * 2 ** Math.min(i, 6));
    }
  }
}

const seatsUpdate = (instanceId: string, expression: string, condition: string, values: Record<string, unknown>): SideWrite => ({
  update: { key: peopleKeys.seats(instanceId), expression, values },
  condition: { expression: condition },
  failure: () => new SeatsChanged(),
});

async function takeTicket(instanceId: string): Promise<number> {
  const out = await ddb().send(
    new UpdateCommand({
      TableName: mainTable(),
      Key: peopleKeys.seats(instanceId),
      UpdateExpression: 'ADD nextTicket :one',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(out.Attributes?.nextTicket);
}

const change = (before: Item | null, after: Enrolment, action: string, from: EnrolmentState | null, details: Record<string, unknown> = {}): Change => ({
  subject: { type: 'enrolment', id: after.id },
  before,
  after: enrolmentItem(after),
  action,
  details: { from, to: after.state, ...details },
});

const ACTIVE: readonly EnrolmentState[] = ['applied', 'enrolled', 'waitlisted', 'completed', 'no-show'];

export async function readInstanceAndCourse(instanceId: string): Promise<{ inst: Instance; course: Course }> {
  const { value: inst } = await mustGet<Instance>(peopleKeys.instance(instanceId), 'Course instance', instanceId);
  const { value: course } = await mustGet<Course>(peopleKeys.course(inst.courseId), 'Course', inst.courseId);
  return { inst, course };
}

export async function enrol(c: Caller, instanceId: string, motivation: string | undefined, requestId: string, record: (e: Enrolment) => SideWrite[], now = new Date()): Promise<Enrolment> {
  const { inst, course } = await readInstanceAndCourse(instanceId);
  if (course.status !== 'published' || inst.status !== 'scheduled')
    throw new RuleViolationError('This course instance is not open for enrolment', [{ path: 'instanceId', problem: inst.status === 'cancelled' ? 'is cancelled' : 'belongs to a course that is not published' }], 'not_open_for_enrolment');
  const window = enrolmentWindow(inst, now);
  if (window !== 'open') {
    const problem = window === 'not-open' ? `enrolment opens at ${inst.enrolmentOpens}` : `enrolment closed at ${inst.enrolmentCloses < inst.endDate ? inst.enrolmentCloses : inst.endDate}`;
    throw new RuleViolationError(`Enrolment is outside its window: ${problem}`, [{ path: 'instanceId', problem }], 'outside_enrolment_window');
  }
  const id = enrolmentId(instanceId, c.sub);
  const org = await snapshotOf(c.sub);
  const ctx: AuditContext = { actor: { sub: c.sub, role: 'researcher' }, requestId, now };
  return withContention(async () => {
    const item = await getItem(peopleKeys.enrolment(id));
    const prev = item ? strip<Enrolment>(item) : null;
    if (prev && ACTIVE.includes(prev.state)) throw new ConflictError(`You already have an enrolment in this instance (${prev.state})`, [{ path: 'instanceId', problem: `already ${prev.state}` }], 'already_enrolled');
    const at = now.toISOString();
    const base: Enrolment = {
      id,
      instanceId,
      courseId: inst.courseId,
      learnerSub: c.sub,
      displayName: c.name ?? c.username ?? c.sub,
      state: 'applied',
      ticket: 0,
      ...(motivation ? { motivation } : {}),
      ...org,
      appliedAt: at,
      updatedAt: at,
      history: [...(prev?.history ?? []), { state: 'applied', at, by: c.sub }],
    };
    // Take a seat if one is free and nobody waits.
    const seated: Enrolment = { ...base, state: 'enrolled', enrolledAt: at, history: [...base.history, { state: 'enrolled', at, by: c.sub }] };
    try {
      await commit(ctx, {
        changes: [change(item, seated, 'enrolment.apply', prev?.state ?? null, { via: 'applied' })],
        sideWrites: [seatsUpdate(instanceId, 'ADD enrolled :one', 'enrolled < #cap AND waiting = :zero', { ':one': 1, ':zero': 0 }), ...record(seated)].map(withCapName),
      });
      return seated;
    } catch (e) {
      if (!(e instanceof SeatsChanged)) throw e;
    }
    // Otherwise join the waitlist, in ticket order.
    const ticket = await takeTicket(instanceId);
    const waiting: Enrolment = { ...base, state: 'waitlisted', ticket, history: [...base.history, { state: 'waitlisted', at, by: c.sub }] };
    await commit(ctx, {
      changes: [change(item, waiting, 'enrolment.apply', prev?.state ?? null, { via: 'applied', ticket })],
      sideWrites: [
        { put: { ...peopleKeys.waitEntry(instanceId, ticket), enrolmentId: id, learnerSub: c.sub, ticket }, condition: { expression: 'attribute_not_exists(pk)' } },
        seatsUpdate(instanceId, 'ADD waiting :one', 'enrolled >= #cap OR waiting > :zero', { ':one': 1, ':zero': 0 }),
        ...record(waiting),
      ].map(withCapName),
    });
    return waiting;
  });
}

/** `capacity` is not a reserved word, but #cap keeps every seat condition written the same way. */
function withCapName(w: SideWrite): SideWrite {
  return 'update' in w && w.condition?.expression.includes('#cap') ? { ...w, update: { ...w.update, names: { ...w.update.names, '#cap': 'capacity' } } } : w;
}

/** Promotion of the waitlist's head: its change, its entry's removal. */
async function headOfWaitlist(instanceId: string, count: number): Promise<{ entry: Item; enrolment: Enrolment; item: Item }[]> {
  const { pk, skPrefix } = peopleKeys.waitPrefix(instanceId);
  const entries = await queryPrefix(pk, skPrefix, count);
  const out = [];
  for (const entry of entries.slice(0, count)) {
    const item = await getItem(peopleKeys.enrolment(String(entry.enrolmentId)));
    if (!item) continue;
    out.push({ entry, enrolment: strip<Enrolment>(item), item });
  }
  return out;
}

function promotion(h: { entry: Item; enrolment: Enrolment; item: Item }, at: string, by: string): { change: Change; side: SideWrite } {
  const next: Enrolment = { ...h.enrolment, state: 'enrolled', enrolledAt: at, updatedAt: at, history: [...h.enrolment.history, { state: 'enrolled', at, by }] };
  return {
    change: change(h.item, next, 'enrolment.promote', 'waitlisted', { ticket: h.enrolment.ticket }),
    side: { delete: { pk: h.entry.pk, sk: h.entry.sk }, condition: { expression: 'attribute_exists(pk)' }, failure: () => new SeatsChanged() },
  };
}

/** Withdraws an enrolled or waitlisted learner; a freed seat goes to the head of the waitlist at once. */
export async function withdraw(c: Caller, id: string, role: string, requestId: string, reason?: string): Promise<Enrolment> {
  const ctx: AuditContext = { actor: { sub: c.sub, role }, requestId, reason: reason ?? null };
  const done = await withContention(async () => {
    const { value: e, item } = await mustGet<Enrolment>(peopleKeys.enrolment(id), 'Enrolment', id);
    if (e.state !== 'enrolled' && e.state !== 'waitlisted') throw new RuleViolationError(`An enrolment that is ${e.state} cannot be withdrawn`, [{ path: 'enrolmentId', problem: `is ${e.state}` }], 'invalid_transition');
    const at = new Date().toISOString();
    const next: Enrolment = { ...e, state: 'withdrawn', updatedAt: at, history: [...e.history, { state: 'withdrawn', at, by: c.sub }] };
    const changes: Change[] = [change(item, next, 'enrolment.withdraw', e.state)];
    const sideWrites: SideWrite[] = [];
    if (e.state === 'waitlisted') {
      sideWrites.push({ delete: peopleKeys.waitEntry(e.instanceId, e.ticket) }, seatsUpdate(e.instanceId, 'ADD waiting :minus', 'waiting >= :one', { ':minus': -1, ':one': 1 }));
    } else {
      const [head] = await headOfWaitlist(e.instanceId, 1);
      if (head && head.enrolment.state === 'waitlisted') {
        const p = promotion(head, at, 'system');
        changes.push(p.change);
        sideWrites.push(p.side, seatsUpdate(e.instanceId, 'ADD waiting :minus', 'waiting >= :one', { ':minus': -1, ':one': 1 }));
      } else sideWrites.push(seatsUpdate(e.instanceId, 'ADD enrolled :minus', 'waiting = :zero AND enrolled >= :one', { ':minus': -1, ':zero': 0, ':one': 1 }));
    }
    await commit(ctx, { changes, sideWrites });
    return next;
  });
  await fillFreeSeats(done.instanceId, { ...ctx, actor: { sub: c.sub, role: 'system' } });
  return done;
}

/** Gives free seats to the waitlist in ticket order, up to 25 per transaction, until none is free or nobody waits. */
export async function fillFreeSeats(instanceId: string, ctx: AuditContext): Promise<number> {
  let promoted = 0;
  for (let round = 0; round < 1000; round++) {
    const n = await withContention(async () => {
      const seats = strip<Seats>((await getItem(peopleKeys.seats(instanceId)))!);
      const free = Math.min(seats.capacity - seats.enrolled, seats.waiting, 25);
      if (free <= 0) return 0;
      const heads = (await headOfWaitlist(instanceId, free)).filter((h) => h.enrolment.state === 'waitlisted');
      if (!heads.length) return 0;
      const at = new Date().toISOString();
      const ps = heads.map((h) => promotion(h, at, 'system'));
      await commit(ctx, {
        changes: ps.map((p) => p.change),
        sideWrites: [
          ...ps.map((p) => p.side),
          withCapName(
            seatsUpdate(instanceId, 'ADD enrolled :n, waiting :minus', '#cap = :cap AND enrolled <= :limit AND waiting >= :n', { ':n': ps.length, ':minus': -ps.length, ':cap': seats.capacity, ':limit': seats.capacity - ps.length }),
          ),
        ],
      });
      return ps.length;
    });
    if (!n) return promoted;
    promoted += n;
  }
  return promoted;
}

/** 1-based place in the waitlist (consistent count of the entries ahead). */
export async function waitlistPosition(e: Enrolment): Promise<number | undefined> {
  if (e.state !== 'waitlisted') return undefined;
  // Count the entries before this one's ticket (a consistent COUNT query: no items transferred).
  const { pk, skPrefix } = peopleKeys.waitPrefix(e.instanceId);
  const mine = peopleKeys.waitEntry(e.instanceId, e.ticket).sk;
  let ahead = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb().send(
      new QueryCommand({
        TableName: mainTable(),
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': skPrefix, ':to': mine },
        Select: 'COUNT',
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    ahead += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return Math.max(1, ahead); // the range includes this learner's own entry
}
