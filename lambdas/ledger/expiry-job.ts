// Scheduled daily: expires allocations at their end date (forfeited credits become expiry entries)
// and announces AllocationExpired for the connectors.
import { expireDue } from './service';
import { logger } from '../shared/log';

export async function handler(event: { id?: string; time?: string }): Promise<{ expired: string[] }> {
  const expired = await expireDue({ actor: { sub: 'system:expiry', role: 'system' }, requestId: event.id ?? `expiry-${Date.now()}`, reason: 'the allocation reached its end date' });
  logger.info('expiry run', { expired: expired.length });
  return { expired };
}
