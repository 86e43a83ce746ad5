// What each audience sees. The public catalogue never shows who enrolled (subs, names) or a
// learner's motivation; a learner sees their own enrolment; instructors see their roster.
import type { Application, Course, Enrolment, Instance, Internship, Org, Seats } from '../domain/people';

export const publicCourse = (c: Course, provider: Org | null) => ({
  id: c.id,
  code: c.code,
  providerOrgId: c.providerOrgId,
  provider: provider ? { id: provider.id, names: provider.names, orgType: provider.orgType, region: provider.region, verified: provider.verified } : null,
  name: c.name,
  description: c.description,
  audience: c.audience,
  level: c.level,
  prerequisites: c.prerequisites,
  keywords: c.keywords,
  field: c.field,
  teaches: c.teaches,
  mode: c.mode,
  languages: c.languages,
  resources: c.resources,
  timeRequired: c.timeRequired,
  url: c.url,
  qualifiesForStarter: c.qualifiesForStarter,
  status: c.status,
  createdAt: c.createdAt,
  updatedAt: c.updatedAt,
});

export const publicInstance = (i: Instance, seats: Seats | null) => ({
  id: i.id,
  courseId: i.courseId,
  startDate: i.startDate,
  endDate: i.endDate,
  enrolmentOpens: i.enrolmentOpens,
  enrolmentCloses: i.enrolmentCloses,
  capacity: i.capacity,
  mode: i.mode,
  language: i.language,
  place: i.place,
  link: i.link,
  instructors: i.instructors.map((p) => ({ name: p.name })),
  status: i.status,
  seats: seats ? { capacity: seats.capacity, enrolled: seats.enrolled, free: Math.max(0, seats.capacity - seats.enrolled), waitlisted: seats.waiting } : null,
});

export const enrolmentView = (e: Enrolment, position?: number) => ({
  id: e.id,
  instanceId: e.instanceId,
  courseId: e.courseId,
  state: e.state,
  ...(position !== undefined ? { waitlistPosition: position } : {}),
  displayName: e.displayName,
  appliedAt: e.appliedAt,
  enrolledAt: e.enrolledAt,
  completedOn: e.completedOn,
  certificateId: e.certificateId,
  history: e.history,
  updatedAt: e.updatedAt,
});

export const rosterView = (e: Enrolment) => ({ ...enrolmentView(e), learnerSub: e.learnerSub, motivation: e.motivation, orgId: e.orgId, orgType: e.orgType, region: e.region, ticket: e.ticket });

export const publicInternship = (i: Internship) => ({
  id: i.id,
  hostOrgId: i.hostOrgId,
  title: i.title,
  description: i.description,
  field: i.field,
  period: i.period,
  places: i.places,
  selected: i.selected,
  free: Math.max(0, i.places - i.selected),
  requirements: i.requirements,
  applicationDeadline: i.applicationDeadline,
  status: i.status,
  createdAt: i.createdAt,
});

export const applicationView = (a: Application) => ({ id: a.id, internshipId: a.internshipId, hostOrgId: a.hostOrgId, state: a.state, statement: a.statement, displayName: a.displayName, appliedAt: a.appliedAt, updatedAt: a.updatedAt });
export const hostApplicationView = (a: Application) => ({ ...applicationView(a), applicantSub: a.applicantSub, orgId: a.orgId, orgType: a.orgType, region: a.region });
