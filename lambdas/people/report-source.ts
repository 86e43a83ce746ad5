// The facts of the participation report, read partition by partition (courses → instances →
// rosters; postings → applications; mentors → matches), so no single index partition takes every
// enrolment's write. The fairness report includes it as:
//   participation: participationReport(await readParticipationFacts(), generatedAt)
import { peopleGsi } from '../shared/store/keys';
import { COURSE_STATUSES, participationReport, type Application, type Enrolment, type Match, type ParticipationFacts, type ParticipationReport } from '../domain/people';
import { queryAllIndex, strip } from './store';

export async function readParticipationFacts(): Promise<ParticipationFacts> {
  const courses = (await Promise.all(COURSE_STATUSES.map((s) => queryAllIndex('gsi2', peopleGsi.coursesInState(s))))).flat();
  const instances = (await Promise.all(courses.map((c) => queryAllIndex('gsi1', peopleGsi.instancesOf(String(c.id)))))).flat();
  const enrolments = (await Promise.all(instances.map((i) => queryAllIndex('gsi2', peopleGsi.roster(String(i.id)))))).flat().map((it) => strip<Enrolment>(it));
  const internships = await queryAllIndex('gsi1', peopleGsi.internships);
  const applications = (await Promise.all(internships.map((i) => queryAllIndex('gsi2', peopleGsi.applicationsTo(String(i.id)))))).flat().map((it) => strip<Application>(it));
  const mentors = await queryAllIndex('gsi1', peopleGsi.mentors);
  const matches = (await Promise.all(mentors.map((m) => queryAllIndex('gsi2', peopleGsi.matchesOfMentor(String(m.sub)))))).flat().map((it) => strip<Match>(it));
  const pick = (x: { orgId: string | null; orgType: Enrolment['orgType']; region: string | null }, state: string) => ({ orgId: x.orgId ?? null, orgType: x.orgType ?? null, region: x.region ?? null, state });
  return {
    enrolments: enrolments.map((e) => pick(e, e.state)),
    applications: applications.map((a) => pick(a, a.state)),
    matches: matches.map((m) => pick(m, m.state)),
  };
}

export async function participation(now = new Date()): Promise<ParticipationReport> {
  return participationReport(await readParticipationFacts(), now.toISOString());
}
