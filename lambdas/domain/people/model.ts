// The people capability's entities as stored (without keys) and the rules about their states.
// Pure: no AWS. The store (lambdas/people/store.ts) maps them to items.
import type { CourseMode, CourseStatus, OrgType, PeopleRole } from './schema';

export interface BilingualText {
  ko: string;
  en: string;
}

export interface Org {
  id: string;
  names: BilingualText;
  orgType: OrgType;
  region: string;
  verified: boolean;
}

/** Where a participant says they work: a snapshot of the org's facts at the time (for reports). */
export interface OrgSnapshot {
  orgId: string | null;
  orgType: OrgType | null;
  region: string | null;
}

export interface Course {
  id: string;
  providerOrgId: string;
  code?: string;
  name: BilingualText;
  description: BilingualText;
  audience: string[];
  level: 'beginner' | 'intermediate' | 'advanced';
  prerequisites: string[];
  keywords: string[];
  field: string;
  teaches: string[];
  mode: CourseMode;
  languages: string[];
  resources: string[];
  timeRequired?: string;
  url?: string;
  qualifiesForStarter: boolean;
  status: CourseStatus;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
}

export interface Instance {
  id: string;
  courseId: string;
  providerOrgId: string;
  startDate: string;
  endDate: string;
  enrolmentOpens: string;
  enrolmentCloses: string;
  capacity: number;
  mode: CourseMode;
  language: string;
  place?: { name: string; streetAddress?: string; locality: string; region: string; country: string };
  link?: string;
  instructors: { sub: string; name: string }[];
  status: 'scheduled' | 'cancelled';
  createdAt: string;
  updatedAt: string;
}

/** The seat counter of an instance: enrolled + waiting, and the ticket sequence that orders the waitlist. */
export interface Seats {
  capacity: number;
  enrolled: number;
  waiting: number;
  nextTicket: number;
}

export const ENROLMENT_STATES = ['applied', 'enrolled', 'waitlisted', 'completed', 'withdrawn', 'no-show'] as const;
export type EnrolmentState = (typeof ENROLMENT_STATES)[number];

export interface Enrolment extends OrgSnapshot {
  id: string;
  instanceId: string;
  courseId: string;
  learnerSub: string;
  displayName: string;
  state: EnrolmentState;
  /** Order of arrival; the waitlist moves up in ticket order. */
  ticket: number;
  motivation?: string;
  appliedAt: string;
  updatedAt: string;
  enrolledAt?: string;
  completedOn?: string;
  certificateId?: string;
  history: { state: EnrolmentState; at: string; by: string }[];
}

export interface Certificate {
  id: string;
  enrolmentId: string;
  courseId: string;
  courseName: BilingualText;
  instanceId: string;
  displayName: string;
  completedOn: string;
  issuedAt: string;
  issuedBy: string;
  learnerSub: string;
  status: 'valid' | 'revoked';
  qualifiesForStarter: boolean;
}

export interface Grant {
  id: string;
  role: PeopleRole;
  scopeType: 'org' | 'course';
  scopeId: string;
  sub: string;
  status: 'active' | 'revoked';
  grantedBy: string;
  grantedAt: string;
  updatedAt: string;
}

export interface Internship {
  id: string;
  hostOrgId: string;
  title: BilingualText;
  description: BilingualText;
  field: string;
  period: { start: string; end: string };
  places: number;
  selected: number;
  requirements: string[];
  applicationDeadline: string;
  hostAllocationId?: string;
  status: 'open' | 'closed';
  createdAt: string;
  updatedAt: string;
  createdBy: string;
}

export const APPLICATION_STATES = ['submitted', 'selected', 'rejected', 'withdrawn'] as const;
export type ApplicationState = (typeof APPLICATION_STATES)[number];

export interface Application extends OrgSnapshot {
  id: string;
  internshipId: string;
  hostOrgId: string;
  applicantSub: string;
  displayName: string;
  statement: string;
  state: ApplicationState;
  appliedAt: string;
  updatedAt: string;
  decidedBy?: string;
}

export interface Mentor {
  sub: string;
  displayName: string;
  fields: string[];
  expertise: string[];
  languages: string[];
  capacity: number;
  active: number;
  availability: string;
  offering: boolean;
  updatedAt: string;
}

export interface MenteeRequest extends OrgSnapshot {
  id: string;
  menteeSub: string;
  displayName: string;
  topic: string;
  field: string;
  languages: string[];
  state: 'open' | 'matched' | 'closed';
  matchId?: string;
  createdAt: string;
  updatedAt: string;
}

export interface Match extends OrgSnapshot {
  id: string;
  requestId: string;
  mentorSub: string;
  menteeSub: string;
  mentorName: string;
  menteeName: string;
  topic: string;
  state: 'active' | 'ended';
  priorityPlace: boolean;
  startedAt: string;
  endedAt?: string;
  endedBy?: 'mentor' | 'mentee';
  sessions: { date: string; topic: string; loggedBy: 'mentor' | 'mentee'; at: string }[];
}

/** Which enrolment transitions exist, and who causes them. `applied` is where every enrolment starts. */
const TRANSITIONS: Record<EnrolmentState, readonly EnrolmentState[]> = {
  applied: ['enrolled', 'waitlisted'],
  enrolled: ['completed', 'withdrawn', 'no-show'],
  waitlisted: ['enrolled', 'withdrawn'],
  completed: [],
  withdrawn: ['applied'],
  'no-show': [],
};

export function canMove(from: EnrolmentState, to: EnrolmentState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Seats hold their invariant: a free seat means nobody waits (promotion happens in the same transaction). */
export function seatsConsistent(s: Seats): boolean {
  return s.enrolled >= 0 && s.waiting >= 0 && s.enrolled <= s.capacity && (s.enrolled === s.capacity || s.waiting === 0);
}

export type EnrolmentWindow = 'not-open' | 'open' | 'closed';

export function enrolmentWindow(i: Pick<Instance, 'enrolmentOpens' | 'enrolmentCloses' | 'endDate'>, now: Date): EnrolmentWindow {
  const t = now.getTime();
  if (t < Date.parse(i.enrolmentOpens)) return 'not-open';
  if (t > Date.parse(i.enrolmentCloses) || t >= Date.parse(i.endDate)) return 'closed';
  return 'open';
}
