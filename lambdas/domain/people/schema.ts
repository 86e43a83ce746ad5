// The people capability's request schemas (strict zod/mini): courses and their instances in
// Bioschemas Course / CourseInstance terms, enrolment outcomes, internships, mentoring, role
// grants and the interim organisation directory. Types are derived from these schemas.
import * as z from 'zod/mini';

export const ORG_TYPES = ['university', 'research-institute', 'sme', 'startup', 'enterprise', 'public-agency'] as const;
export type OrgType = (typeof ORG_TYPES)[number];

const text = (min: number, max: number) => z.string().check(z.trim(), z.minLength(min), z.maxLength(max));
export const OrgId = z.string().check(z.regex(/^[a-z0-9][a-z0-9-]{1,62}$/));
export const Sub = z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[^\s,]+$/));
export const PeopleId = (prefix: string) => z.string().check(z.regex(new RegExp(`^${prefix}-[0-9a-z]{26}$`)));
/** Field of science, as proposals name it (e.g. computer-science). */
export const Field = z.string().check(z.regex(/^[a-z][a-z0-9-]{1,60}$/));
/** BCP 47 primary tags KAIRR's programmes run in (ko, en, ...). */
export const Lang = z.string().check(z.regex(/^[a-z]{2,3}(-[A-Z]{2})?$/));
const DateTime = z.iso.datetime({ offset: true });
const Day = z.iso.date();
const Keywords = z.array(text(1, 60)).check(z.minLength(1), z.maxLength(20));

/** Korean and English, both required: the catalogue and its JSON-LD carry both. */
export const Bilingual = (max: number) => z.strictObject({ ko: text(1, max), en: text(1, max) });

export const COURSE_LEVELS = ['beginner', 'intermediate', 'advanced'] as const;
export const COURSE_MODES = ['online', 'in-person', 'hybrid'] as const;
export type CourseMode = (typeof COURSE_MODES)[number];

export const CreateCourseBody = z.strictObject({
  providerOrgId: OrgId,
  code: z.optional(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/))),
  name: Bilingual(200),
  description: Bilingual(5000),
  audience: z.array(text(1, 80)).check(z.minLength(1), z.maxLength(10)),
  level: z.enum(COURSE_LEVELS),
  /** Other courses of the catalogue a learner should have taken first. */
  prerequisites: z._default(z.array(PeopleId('crs')).check(z.maxLength(10)), []),
  keywords: Keywords,
  field: Field,
  /** Learning outcomes (Bioschemas `teaches`). */
  teaches: z.array(text(1, 300)).check(z.minLength(1), z.maxLength(20)),
  mode: z.enum(COURSE_MODES),
  languages: z.array(Lang).check(z.minLength(1), z.maxLength(5)),
  /** KAIRR resources the course uses, as resource keys (spc/h200). */
  resources: z._default(z.array(z.string().check(z.regex(/^[a-z][a-z0-9-]{1,30}\/[a-z][a-z0-9-]{1,30}$/))).check(z.maxLength(10)), []),
  /** ISO 8601 duration (Bioschemas timeRequired), e.g. P3D or PT6H. */
  timeRequired: z.optional(z.string().check(z.regex(/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/))),
  url: z.optional(z.url({ protocol: /^https?$/ })),
  /** Completing it makes the learner eligible for the starter tier (admins only). */
  qualifiesForStarter: z._default(z.boolean(), false),
});
export type CreateCourseBody = z.infer<typeof CreateCourseBody>;

export const COURSE_STATUSES = ['draft', 'published', 'archived'] as const;
export type CourseStatus = (typeof COURSE_STATUSES)[number];

export const UpdateCourseBody = z.strictObject({
  name: z.optional(Bilingual(200)),
  description: z.optional(Bilingual(5000)),
  audience: z.optional(z.array(text(1, 80)).check(z.minLength(1), z.maxLength(10))),
  level: z.optional(z.enum(COURSE_LEVELS)),
  prerequisites: z.optional(z.array(PeopleId('crs')).check(z.maxLength(10))),
  keywords: z.optional(Keywords),
  teaches: z.optional(z.array(text(1, 300)).check(z.minLength(1), z.maxLength(20))),
  mode: z.optional(z.enum(COURSE_MODES)),
  languages: z.optional(z.array(Lang).check(z.minLength(1), z.maxLength(5))),
  timeRequired: z.optional(z.string().check(z.regex(/^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$/))),
  url: z.optional(z.url({ protocol: /^https?$/ })),
  qualifiesForStarter: z.optional(z.boolean()),
  status: z.optional(z.enum(COURSE_STATUSES)),
  reason: z.optional(text(1, 500)),
});
export type UpdateCourseBody = z.infer<typeof UpdateCourseBody>;

export const Place = z.strictObject({
  name: text(1, 200),
  streetAddress: z.optional(text(1, 300)),
  locality: text(1, 100),
  region: text(1, 100),
  country: z._default(z.string().check(z.regex(/^[A-Z]{2}$/)), 'KR'),
});

export const CreateInstanceBody = z.strictObject({
  startDate: DateTime,
  endDate: DateTime,
  enrolmentOpens: DateTime,
  enrolmentCloses: DateTime,
  capacity: z.int().check(z.minimum(1), z.maximum(10000)),
  /** Overrides the course's mode for this offering. */
  mode: z.optional(z.enum(COURSE_MODES)),
  language: z.optional(Lang),
  place: z.optional(Place),
  link: z.optional(z.url({ protocol: /^https$/ })),
  /** Who teaches it: each must hold the instructor role on the course. */
  instructors: z.array(z.strictObject({ sub: Sub, name: text(1, 120) })).check(z.minLength(1), z.maxLength(20)),
});
export type CreateInstanceBody = z.infer<typeof CreateInstanceBody>;

export const UpdateInstanceBody = z.strictObject({
  capacity: z.optional(z.int().check(z.minimum(1), z.maximum(10000))),
  enrolmentCloses: z.optional(DateTime),
  place: z.optional(Place),
  link: z.optional(z.url({ protocol: /^https$/ })),
  status: z.optional(z.enum(['scheduled', 'cancelled'])),
  reason: z.optional(text(1, 500)),
});
export type UpdateInstanceBody = z.infer<typeof UpdateInstanceBody>;

export const EnrolBody = z.strictObject({
  /** Optional note to the instructors (why, background); never shown publicly. */
  motivation: z.optional(text(1, 2000)),
});

export const COMPLETION_OUTCOMES = ['completed', 'no-show'] as const;
export const CompletionsBody = z.strictObject({
  learners: z.array(z.strictObject({ enrolmentId: PeopleId('enr'), outcome: z.enum(COMPLETION_OUTCOMES) })).check(z.minLength(1), z.maxLength(200)),
  /** The day completion is recorded for; defaults to today (UTC). */
  completedOn: z.optional(Day),
});
export type CompletionsBody = z.infer<typeof CompletionsBody>;

export const ReasonBody = z.strictObject({ reason: z.optional(text(1, 500)) });

// ---- organisation directory (interim, until the trust registry lands) ----
export const OrgBody = z.strictObject({
  names: Bilingual(200),
  orgType: z.enum(ORG_TYPES),
  /** Province or metropolitan city (e.g. Seoul, Gyeonggi, Daejeon): participation is reported by it. */
  region: text(2, 60),
  verified: z.boolean(),
});
export type OrgBody = z.infer<typeof OrgBody>;
export const AffiliationBody = z.strictObject({ orgId: OrgId });

// ---- role grants ----
export const PEOPLE_ROLES = ['org-manager', 'instructor', 'host'] as const;
export type PeopleRole = (typeof PEOPLE_ROLES)[number];
export const GrantBody = z.strictObject({
  role: z.enum(PEOPLE_ROLES),
  /** org-manager and host: an organisation; instructor: a course. */
  orgId: z.optional(OrgId),
  courseId: z.optional(PeopleId('crs')),
  sub: Sub,
  reason: z.optional(text(1, 500)),
});
export type GrantBody = z.infer<typeof GrantBody>;

// ---- internships ----
export const CreateInternshipBody = z.strictObject({
  hostOrgId: OrgId,
  title: Bilingual(200),
  description: Bilingual(5000),
  field: Field,
  period: z.strictObject({ start: Day, end: Day }),
  places: z.int().check(z.minimum(1), z.maximum(500)),
  requirements: z.array(text(1, 300)).check(z.maxLength(20)),
  applicationDeadline: DateTime,
  /** The host's allocation an intern will join (checked: the period must lie within its dates). */
  hostAllocationId: z.optional(z.string().check(z.regex(/^[a-z]+-[0-9a-z]{26}$/))),
});
export type CreateInternshipBody = z.infer<typeof CreateInternshipBody>;
export const UpdateInternshipBody = z.strictObject({ status: z.enum(['open', 'closed']), reason: z.optional(text(1, 500)) });
export const ApplyBody = z.strictObject({ statement: text(20, 5000) });
export const DecisionBody = z.strictObject({ decision: z.enum(['selected', 'rejected']), reason: z.optional(text(1, 500)) });

// ---- mentoring ----
export const MentorBody = z.strictObject({
  fields: z.array(Field).check(z.minLength(1), z.maxLength(10)),
  /** Topics the mentor knows well, free text (searched with the Korean-aware tokeniser). */
  expertise: z.array(text(1, 80)).check(z.minLength(1), z.maxLength(20)),
  languages: z.array(Lang).check(z.minLength(1), z.maxLength(5)),
  capacity: z.int().check(z.minimum(0), z.maximum(20)),
  availability: text(1, 300),
  active: z._default(z.boolean(), true),
});
export type MentorBody = z.infer<typeof MentorBody>;
export const MenteeRequestBody = z.strictObject({
  topic: text(3, 300),
  field: Field,
  languages: z.array(Lang).check(z.minLength(1), z.maxLength(5)),
});
export type MenteeRequestBody = z.infer<typeof MenteeRequestBody>;
export const MatchBody = z.strictObject({ mentorSub: Sub });
/** Sessions are logged by date and topic only: the strict schema refuses anything else (notes, content). */
export const SessionBody = z.strictObject({ date: Day, topic: text(1, 200) });
