// The proposal lifecycle as a table: every (state, stage) pair against every move, with what the
// move allows and what it refuses. Each move's expected matrix is written out by hand below (the
// states and stages it accepts, the refusal everywhere else), so a change in any rule shows up as
// the exact cells that changed. The API-visible codes and statuses are the ones the handlers
// returned before the lifecycle moved into the domain.
import { FLOW_STAGES, NothingToAward, PROPOSAL_STATES, ProposalClosed, type FlowStage, type ProposalState } from '../../../lambdas/domain/approval';
import { KairrError } from '../../../lambdas/domain/errors';
import * as lifecycle from '../../../lambdas/domain/approval/lifecycle';
import type { Phase } from '../../../lambdas/domain/approval/lifecycle';

const STATES: ProposalState[] = ['draft', 'submitted', 'in-review', 'revision-requested', 'approved', 'rejected', 'withdrawn', 'error'];
const STAGES: (FlowStage | undefined)[] = [undefined, 'checking', 'auto-approving', 'assigning', 'reviewing', 'awaiting-decision', 'awarding'];
const stageLabel = (s: FlowStage | undefined) => s ?? '-';
const ROUND = 2;

test('the table covers the whole vocabulary', () => {
  expect([...PROPOSAL_STATES].sort()).toEqual([...STATES].sort());
  expect([...FLOW_STAGES, undefined]).toEqual(expect.arrayContaining(STAGES));
  expect(STAGES).toHaveLength(FLOW_STAGES.length + 1);
});

/** A proposal in (state, stage), in round 2, with whatever else a row needs. */
const phase = (state: ProposalState, stage: FlowStage | undefined, over: Partial<Phase> = {}): Phase => ({ id: 'prop-1', state, stage, round: ROUND, ...over });

/** 'ok' for a move that went through, otherwise the refusal: "409 not_editable", "ProposalClosed", ... */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (e) {
    if (e instanceof KairrError) return `${e.status} ${e.code}`;
    if (e instanceof ProposalClosed || e instanceof NothingToAward) return e.name;
    throw e;
  }
}

/** The states (each with every stage, or the listed ones) in which a move is allowed. */
type Allowed = Partial<Record<ProposalState, 'any' | (FlowStage | undefined)[]>>;
const allows = (a: Allowed, state: ProposalState, stage: FlowStage | undefined) => {
  const s = a[state];
  return s === 'any' || (s !== undefined && s.includes(stage));
};

interface Row {
  move: string;
  run: (p: Phase) => unknown;
  allowed: Allowed;
  /** What the move gives in an allowed cell. */
  gives: (p: Phase) => unknown;
  /** The refusal in any other cell (a cell-specific one where the move has two). */
  refused: string | ((p: Phase) => string);
  over?: Partial<Phase>;
}

const EVERY_STAGE = 'any' as const;
const NOT_AWARDING = STAGES.filter((s) => s !== 'awarding');
const APPROVAL = { round: ROUND, outcome: 'approve' as const, automatic: false, creditsMc: { 'spc/h200': 5_000 } };

const ROWS: Row[] = [
  { move: 'edit', run: lifecycle.edit, allowed: { draft: EVERY_STAGE, 'revision-requested': EVERY_STAGE }, gives: (p) => ({ state: p.state, stage: p.stage }), refused: '409 not_editable' },
  {
    move: 'submit',
    run: lifecycle.submit,
    allowed: { draft: EVERY_STAGE, 'revision-requested': EVERY_STAGE },
    gives: () => ({ state: 'submitted', stage: undefined, round: ROUND + 1, checkProblems: undefined, tierNote: undefined, reviewSummary: undefined, error: undefined }),
    refused: '409 not_submittable',
  },
  {
    move: 'withdraw',
    run: lifecycle.withdraw,
    allowed: { draft: NOT_AWARDING, submitted: NOT_AWARDING, 'in-review': NOT_AWARDING, 'revision-requested': NOT_AWARDING },
    gives: () => ({ state: 'withdrawn', stage: undefined }),
    refused: (p) => (['draft', 'submitted', 'in-review', 'revision-requested'].includes(p.state) ? '409 being_awarded' : '409 not_withdrawable'),
  },
  { move: 'failCheck', run: (p) => lifecycle.failCheck(p, ROUND), allowed: { submitted: EVERY_STAGE }, gives: () => ({ state: 'rejected', stage: undefined }), refused: 'ProposalClosed' },
  { move: 'passCheck', run: (p) => lifecycle.passCheck(p, ROUND), allowed: { submitted: EVERY_STAGE }, gives: () => ({ state: 'submitted', stage: 'checking' }), refused: 'ProposalClosed' },
  { move: 'autoApprove', run: (p) => lifecycle.autoApprove(p, ROUND), allowed: { submitted: EVERY_STAGE }, gives: () => ({ state: 'submitted', stage: 'awarding' }), refused: 'ProposalClosed' },
  { move: 'startReview', run: (p) => lifecycle.startReview(p, ROUND), allowed: { submitted: EVERY_STAGE, 'in-review': EVERY_STAGE }, gives: () => ({ state: 'in-review', stage: 'reviewing' }), refused: 'ProposalClosed' },
  {
    move: 'awaitDecision',
    run: (p) => lifecycle.awaitDecision(p, ROUND),
    allowed: { 'in-review': EVERY_STAGE },
    gives: (p) => (p.stage === 'awaiting-decision' ? null : { state: 'in-review', stage: 'awaiting-decision' }),
    refused: 'ProposalClosed',
  },
  ...(['prepareReview', 'reviewTimedOut', 'aggregate', 'decisionTimedOut'] as const).map(
    (step): Row => ({ move: `assertLive(${step})`, run: (p) => lifecycle.assertLive(p, ROUND, step), allowed: { 'in-review': EVERY_STAGE }, gives: () => undefined, refused: 'ProposalClosed' }),
  ),
  { move: 'assertLive(check)', run: (p) => lifecycle.assertLive(p, ROUND, 'check'), allowed: { submitted: EVERY_STAGE }, gives: () => undefined, refused: 'ProposalClosed' },
  { move: 'assertLive(assign)', run: (p) => lifecycle.assertLive(p, ROUND, 'assign'), allowed: { submitted: EVERY_STAGE, 'in-review': EVERY_STAGE }, gives: () => undefined, refused: 'ProposalClosed' },
  ...(
    [
      ['approve', { state: 'in-review', stage: 'awarding' }],
      ['reject', { state: 'rejected', stage: undefined }],
      ['revise', { state: 'revision-requested', stage: undefined }],
    ] as const
  ).flatMap(([outcomeOf, next]): Row[] => [
    { move: `decide(${outcomeOf})`, run: (p) => lifecycle.decide(p, outcomeOf), allowed: { 'in-review': ['awaiting-decision'] }, gives: () => next, refused: '409 not_awaiting_decision' },
    // A chair's decision of this round is on record: refused elsewhere as already decided.
    {
      move: `decide(${outcomeOf}) after a chair's decision`,
      run: (p) => lifecycle.decide(p, outcomeOf),
      over: { decision: { round: ROUND, outcome: 'reject', automatic: false } },
      allowed: { 'in-review': ['awaiting-decision'] },
      gives: () => next,
      refused: '409 already_decided',
    },
    // An automatic decision (the check's rejection, the starter approval) is not the committee's.
    {
      move: `decide(${outcomeOf}) after an automatic decision`,
      run: (p) => lifecycle.decide(p, outcomeOf),
      over: { decision: { round: ROUND, outcome: 'reject', automatic: true } },
      allowed: { 'in-review': ['awaiting-decision'] },
      gives: () => next,
      refused: '409 not_awaiting_decision',
    },
  ]),
  {
    move: 'award',
    run: (p) => lifecycle.award(p, ROUND),
    over: { decision: APPROVAL },
    allowed: { submitted: ['awarding'], 'in-review': ['awarding'] },
    gives: () => ({ next: { state: 'approved', stage: undefined, reservedMc: undefined }, decision: APPROVAL }),
    refused: (p) => (p.state === 'submitted' || p.state === 'in-review' ? 'NothingToAward' : 'ProposalClosed'),
  },
  { move: 'assertTakesReviews', run: lifecycle.assertTakesReviews, allowed: { 'in-review': EVERY_STAGE }, gives: () => undefined, refused: '409 not_in_review' },
  { move: 'assertInReview', run: lifecycle.assertInReview, allowed: { 'in-review': EVERY_STAGE }, gives: () => undefined, refused: '409 not_in_review' },
  { move: 'assertCollectingReviews', run: lifecycle.assertCollectingReviews, allowed: { 'in-review': ['reviewing'] }, gives: () => undefined, refused: '409 not_reviewing' },
];

describe.each(ROWS)('$move', (row) => {
  const expected: Record<string, Record<string, string>> = {};
  const actual: Record<string, Record<string, string>> = {};
  for (const state of STATES) {
    expected[state] = {};
    actual[state] = {};
    for (const stage of STAGES) {
      const p = phase(state, stage, row.over);
      expected[state][stageLabel(stage)] = allows(row.allowed, state, stage) ? 'ok' : typeof row.refused === 'string' ? row.refused : row.refused(p);
      actual[state][stageLabel(stage)] = outcome(() => row.run(p));
    }
  }

  test('allows and refuses exactly the cells of its table', () => {
    expect(actual).toEqual(expected);
  });

  test('gives the next state and stage where it is allowed', () => {
    let cells = 0;
    for (const state of STATES) {
      for (const stage of STAGES) {
        if (!allows(row.allowed, state, stage)) continue;
        const p = phase(state, stage, row.over);
        expect({ state, stage, gives: row.run(p) }).toEqual({ state, stage, gives: row.gives(p) });
        cells++;
      }
    }
    expect(cells).toBeGreaterThan(0);
  });
});

describe('the flow of another round', () => {
  const steps = Object.keys(lifecycle.FLOW_STEP_STATES) as lifecycle.FlowStep[];
  test.each(steps)('%s is closed for a proposal resubmitted since (or not yet at that round)', (step) => {
    const live = lifecycle.FLOW_STEP_STATES[step][0];
    expect(outcome(() => lifecycle.assertLive(phase(live, undefined), ROUND, step))).toBe('ok');
    expect(outcome(() => lifecycle.assertLive(phase(live, undefined, { round: ROUND + 1 }), ROUND, step))).toBe('ProposalClosed');
    expect(outcome(() => lifecycle.assertLive(phase(live, undefined, { round: ROUND - 1 }), ROUND, step))).toBe('ProposalClosed');
  });

  test('ProposalClosed names the proposal, its state and both rounds', () => {
    expect(() => lifecycle.failCheck(phase('withdrawn', undefined, { round: 3 }), ROUND)).toThrow(new ProposalClosed('Proposal prop-1 is withdrawn in round 3; the flow of round 2 has nothing more to do'));
  });
});

describe('award', () => {
  test.each([
    ['of an earlier round', { ...APPROVAL, round: ROUND - 1 }],
    ['that rejects', { ...APPROVAL, outcome: 'reject' as const }],
    ['without credits', { ...APPROVAL, creditsMc: undefined }],
    ['missing', undefined],
  ])('refuses a decision %s with NothingToAward', (_what, decision) => {
    expect(() => lifecycle.award(phase('in-review', 'awarding', { decision }), ROUND)).toThrow(new NothingToAward('Proposal prop-1 has no approval to award in round 2'));
  });

  test('a retried award finds the allocation it made, only in its own round', () => {
    expect(lifecycle.awardedIn(phase('approved', undefined, { allocationId: 'alloc-1' }), ROUND)).toBe('alloc-1');
    expect(lifecycle.awardedIn(phase('approved', undefined, { allocationId: 'alloc-1' }), ROUND - 1)).toBeNull();
    expect(lifecycle.awardedIn(phase('approved', undefined), ROUND)).toBeNull();
    for (const state of STATES.filter((s) => s !== 'approved')) expect(lifecycle.awardedIn(phase(state, 'awarding', { allocationId: 'alloc-1' }), ROUND)).toBeNull();
  });
});

describe('moves that answer "nothing to do" instead of refusing', () => {
  test('fail puts a live proposal of the round in error, and leaves final ones and other rounds alone', () => {
    const table = Object.fromEntries(STATES.map((s) => [s, lifecycle.fail(phase(s, 'reviewing'), ROUND)]));
    const error = { state: 'error', stage: undefined, reservedMc: undefined };
    expect(table).toEqual({ draft: error, submitted: error, 'in-review': error, 'revision-requested': error, approved: null, rejected: null, withdrawn: null, error: null });
    expect(lifecycle.fail(phase('in-review', 'reviewing'), ROUND + 1)).toBeNull();
  });

  test('undoSubmit goes back only from the submission it made', () => {
    expect(lifecycle.undoSubmit(phase('submitted', undefined), ROUND, 'revision-requested')).toEqual({ state: 'revision-requested', stage: undefined, round: ROUND - 1 });
    expect(lifecycle.undoSubmit(phase('submitted', undefined), ROUND + 1, 'draft')).toBeNull();
    for (const state of STATES.filter((s) => s !== 'submitted')) expect(lifecycle.undoSubmit(phase(state, undefined), ROUND, 'draft')).toBeNull();
  });

  test('a new proposal is a draft before its first round', () => {
    expect(lifecycle.create()).toEqual({ state: 'draft', round: 0 });
  });
});

describe('what the lifecycle tells the rest of the capability', () => {
  const byState = (f: (p: Phase) => unknown, over: Partial<Phase> = {}, stage?: FlowStage) => Object.fromEntries(STATES.map((s) => [s, f(phase(s, stage, over))]));

  test('a flow runs while submitted or in review', () => {
    expect(byState(lifecycle.inFlow)).toEqual({ draft: false, submitted: true, 'in-review': true, 'revision-requested': false, approved: false, rejected: false, withdrawn: false, error: false });
  });

  test('the committee has spoken on approved, rejected and revision-requested proposals', () => {
    expect(byState(lifecycle.isDecided)).toEqual({ draft: false, submitted: false, 'in-review': false, 'revision-requested': true, approved: true, rejected: true, withdrawn: false, error: false });
  });

  test('a decision stands once decided, or while its approval is being awarded', () => {
    const decision = { round: ROUND, outcome: 'approve' as const, automatic: true };
    expect(byState(lifecycle.decisionStands, { decision })).toEqual({ draft: false, submitted: false, 'in-review': false, 'revision-requested': true, approved: true, rejected: true, withdrawn: false, error: false });
    expect(byState(lifecycle.decisionStands, { decision }, 'awarding')).toEqual(Object.fromEntries(STATES.map((s) => [s, true])));
    expect(byState(lifecycle.decisionStands, {}, 'awarding')).toEqual(Object.fromEntries(STATES.map((s) => [s, false])));
  });

  test('another starter proposal holds the researcher back while approved with an allocation, or approved and in its flow', () => {
    const approval = { decision: { round: 1, outcome: 'approve' as const, automatic: true } };
    expect(byState(lifecycle.starterHold, { allocationId: 'alloc-1' })).toEqual({ draft: null, submitted: null, 'in-review': null, 'revision-requested': null, approved: 'allocation', rejected: null, withdrawn: null, error: null });
    expect(byState(lifecycle.starterHold, approval)).toEqual({ draft: null, submitted: 'awarding', 'in-review': 'awarding', 'revision-requested': null, approved: null, rejected: null, withdrawn: null, error: null });
    expect(byState(lifecycle.starterHold, { decision: { ...approval.decision, outcome: 'reject' } })).toEqual(Object.fromEntries(STATES.map((s) => [s, null])));
  });
});
