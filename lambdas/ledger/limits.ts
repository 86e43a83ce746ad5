// Limits on what a PI can do alone: members per allocation (the allocation item must stay far from
// DynamoDB's 400 KB, and an award writes each member's index item in its one transaction).
import { runtimeConfig } from '../shared/config';
import { RuleViolationError } from '../domain/errors';

/** Refuses (422, naming `path`) an allocation that would have more than policy.maxMembersPerAllocation members. */
export function assertMemberCap(members: number, path: string): void {
  const cap = runtimeConfig().policy.maxMembersPerAllocation;
  if (members > cap)
    throw new RuleViolationError(`An allocation has at most ${cap} members (policy.maxMembersPerAllocation); this would make ${members}`, [{ path, problem: `would make ${members} members, over the limit of ${cap}` }], 'member_limit');
}
