// The ledger's face: what other capabilities may use (docs/adding-a-capability.md). Pipelines read
// an allocation to validate a stage against it before anything is dispatched.
import type { Allocation } from '../domain/ledger/model';
import { allocationOf, getAllocationItem } from './store';

export type { Allocation };
export { canSee as canSeeAllocation } from './views';

/** One allocation as stored, or null when there is none with this id. */
export async function readAllocation(id: string): Promise<Allocation | null> {
  const item = await getAllocationItem(id);
  return item ? allocationOf(item) : null;
}
