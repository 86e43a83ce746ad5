// Participation in the programmes by org type and by region: enrolments, completions, internship
// applications and selections, and mentoring matches. A pure function over plain facts, so the
// fairness report can include it (audit's report-sources read the facts with readParticipationFacts
// in lambdas/people/report-source.ts and add `participation` to the report).
import type { OrgSnapshot } from './model';

export interface ParticipationFacts {
  enrolments: (OrgSnapshot & { state: string })[];
  applications: (OrgSnapshot & { state: string })[];
  matches: (OrgSnapshot & { state: string })[];
}

export interface ParticipationCounts {
  enrolments: number;
  completions: number;
  waitlisted: number;
  internshipApplications: number;
  internshipsSelected: number;
  mentoringMatches: number;
}

export interface ParticipationGroup extends ParticipationCounts {
  key: string | null;
}

export interface ParticipationReport {
  generatedAt: string;
  totals: ParticipationCounts;
  byOrgType: ParticipationGroup[];
  byRegion: ParticipationGroup[];
  /** Facts without a declared organisation are counted under key null. */
  note: string;
}

const zero = (): ParticipationCounts => ({ enrolments: 0, completions: 0, waitlisted: 0, internshipApplications: 0, internshipsSelected: 0, mentoringMatches: 0 });

/** An enrolment counts when the learner holds or held a seat to the end: enrolled, completed, no-show. */
const SEATED = new Set(['enrolled', 'completed', 'no-show']);

export function participationReport(f: ParticipationFacts, generatedAt: string): ParticipationReport {
  const totals = zero();
  const byType = new Map<string | null, ParticipationCounts>();
  const byRegion = new Map<string | null, ParticipationCounts>();
  const bump = (s: OrgSnapshot, k: keyof ParticipationCounts) => {
    totals[k]++;
    for (const [m, key] of [
      [byType, s.orgType],
      [byRegion, s.region],
    ] as const) {
      const g = m.get(key) ?? zero();
      g[k]++;
      m.set(key, g);
    }
  };
  for (const e of f.enrolments) {
    if (SEATED.has(e.state)) bump(e, 'enrolments');
    if (e.state === 'completed') bump(e, 'completions');
    if (e.state === 'waitlisted') bump(e, 'waitlisted');
  }
  for (const a of f.applications) {
    bump(a, 'internshipApplications');
    if (a.state === 'selected') bump(a, 'internshipsSelected');
  }
  for (const m of f.matches) bump(m, 'mentoringMatches');
  const groups = (m: Map<string | null, ParticipationCounts>) => [...m].map(([key, c]) => ({ key, ...c })).sort((a, b) => (a.key === b.key ? 0 : a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : 1));
  return { generatedAt, totals, byOrgType: groups(byType), byRegion: groups(byRegion), note: 'Counts by the organisation each participant declared when they took part; participants who declared none are under key null.' };
}
