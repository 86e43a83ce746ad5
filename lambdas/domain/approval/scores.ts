// Aggregating the reviews of one round: the mean of each criterion, an overall score (the mean of
// the four criteria, equally weighted), the spread (largest minus smallest overall score of one
// reviewer, a cue for the chair that the panel disagrees), and the recommendations counted.
import { CRITERIA, type Criterion, type Review, type ScoreSummary } from './model';

const round2 = (x: number) => Math.round(x * 100) / 100;

export function reviewOverall(r: Pick<Review, 'scores'>): number {
  return CRITERIA.reduce((s, c) => s + r.scores[c], 0) / CRITERIA.length;
}

export function aggregateScores(reviews: readonly Pick<Review, 'scores' | 'recommendation'>[], minReviews: number): ScoreSummary {
  const means = Object.fromEntries(CRITERIA.map((c) => [c, 0])) as Record<Criterion, number>;
  const recommendations: ScoreSummary['recommendations'] = {};
  for (const r of reviews) {
    for (const c of CRITERIA) means[c] += r.scores[c];
    recommendations[r.recommendation] = (recommendations[r.recommendation] ?? 0) + 1;
  }
  const n = reviews.length;
  for (const c of CRITERIA) means[c] = n ? round2(means[c] / n) : 0;
  const overalls = reviews.map(reviewOverall);
  const overall = n ? round2(overalls.reduce((a, b) => a + b, 0) / n) : 0;
  const spread = n ? round2(Math.max(...overalls) - Math.min(...overalls)) : 0;
  return { count: n, minReviews, quorum: n >= minReviews, means, overall, spread, recommendations };
}
