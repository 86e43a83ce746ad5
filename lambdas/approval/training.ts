// Training and the starter tier, as the proposals API and the flow use it: the stage's policy and
// the people capability's qualification, fed to the domain's rules (domain/approval/training.ts).
// The qualification is read only where training can change the outcome (trainingMatters), so
// nobody else's submission or approval costs a read more than before.
import { runtimeConfig } from '../shared/config';
import { RuleViolationError } from '../domain/errors';
import { admissionProblem, effectiveTier, fastTrackWaiver, trainingMatters, trainingRoute, type Call, type Proposal, type TrainingQualification, type TrainingStarterPolicy, type TrainingVia } from '../domain/approval';
import { qualifiesForStarter } from '../people';

export const trainingPolicy = (): TrainingStarterPolicy => runtimeConfig().policy.approval?.trainingStarter ?? 'fast-track';

const qualificationOf = (sub: string): Promise<TrainingQualification> => qualifiesForStarter(sub);

/** createProposal: a starter call that admits the trained only refuses anyone else (422 training_required). */
export async function assertAdmitted(sub: string, call: Call): Promise<void> {
  if (!call.trainedOnly) return;
  const policy = trainingPolicy();
  const problem = admissionProblem(policy, call, policy === 'off' ? null : await qualificationOf(sub));
  if (problem) throw new RuleViolationError(`The proposal cannot be made: ${problem.problem}`, [problem], 'training_required');
}

/** Submit and the flow's Check: whether training stands in for the call's org-type eligibility. */
export async function orgTypeWaived(p: Pick<Proposal, 'ownerSub' | 'pi' | 'tier' | 'requestedTier' | 'requestedMc'>, call: Call): Promise<boolean> {
  const policy = trainingPolicy();
  const tier = p.tier ?? effectiveTier(p, call);
  if (policy !== 'fast-track' || !trainingMatters(policy, tier, call, p.pi)) return false;
  return fastTrackWaiver(policy, tier, call, p.pi, await qualificationOf(p.ownerSub)) !== null;
}

/** AutoApprove: how the approval is reached through training, or null (then it is reached as before). */
export async function trainingRouteOf(p: Pick<Proposal, 'ownerSub' | 'pi' | 'tier'>, call: Call): Promise<TrainingVia | null> {
  const policy = trainingPolicy();
  if (!trainingMatters(policy, p.tier, call, p.pi)) return null;
  return trainingRoute(policy, p.tier, call, p.pi, await qualificationOf(p.ownerSub));
}
