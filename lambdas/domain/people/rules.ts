// Cross-field rules of courses, instances and internships: each problem carries the request's field
// path, so the API answers 400 with every bad field at once.
import type { CreateInstanceBody, CreateInternshipBody } from './schema';
import type { Instance } from './model';

export interface Problem {
  path: string;
  problem: string;
}

export function instanceProblems(b: Pick<CreateInstanceBody, 'startDate' | 'endDate' | 'enrolmentOpens' | 'enrolmentCloses' | 'place' | 'link' | 'instructors'>, mode: Instance['mode']): Problem[] {
  const out: Problem[] = [];
  const t = (s: string) => Date.parse(s);
  if (t(b.endDate) <= t(b.startDate)) out.push({ path: 'endDate', problem: 'must be after startDate' });
  if (t(b.enrolmentCloses) <= t(b.enrolmentOpens)) out.push({ path: 'enrolmentCloses', problem: 'must be after enrolmentOpens' });
  if (t(b.enrolmentCloses) > t(b.endDate)) out.push({ path: 'enrolmentCloses', problem: 'must not be after endDate' });
  if ((mode === 'in-person' || mode === 'hybrid') && !b.place) out.push({ path: 'place', problem: `is required for a course run ${mode}` });
  if ((mode === 'online' || mode === 'hybrid') && !b.link) out.push({ path: 'link', problem: `is required for a course run ${mode}` });
  const seen = new Map<string, number>();
  b.instructors.forEach((ins, i) => {
    if (seen.has(ins.sub)) out.push({ path: `instructors[${i}].sub`, problem: `repeats instructors[${seen.get(ins.sub)}]` });
    seen.set(ins.sub, i);
  });
  return out;
}

export function internshipProblems(b: Pick<CreateInternshipBody, 'period' | 'applicationDeadline'>, now: Date): Problem[] {
  const out: Problem[] = [];
  if (b.period.end < b.period.start) out.push({ path: 'period.end', problem: 'must not be before period.start' });
  if (Date.parse(b.applicationDeadline) <= now.getTime()) out.push({ path: 'applicationDeadline', problem: 'must be in the future' });
  if (b.applicationDeadline.slice(0, 10) > b.period.start) out.push({ path: 'applicationDeadline', problem: 'must not be after period.start' });
  return out;
}

/** An internship's period must lie within the dates of the host allocation its interns join. */
export function periodWithin(period: { start: string; end: string }, alloc: { startDate: string; endDate: string }): Problem[] {
  const out: Problem[] = [];
  const aStart = alloc.startDate.slice(0, 10);
  const aEnd = alloc.endDate.slice(0, 10);
  if (period.start < aStart) out.push({ path: 'period.start', problem: `is before the host allocation starts (${aStart})` });
  if (period.end > aEnd) out.push({ path: 'period.end', problem: `is after the host allocation ends (${aEnd})` });
  return out;
}

/** The UTC day of an instant. */
export const dayOf = (d: Date): string => d.toISOString().slice(0, 10);
