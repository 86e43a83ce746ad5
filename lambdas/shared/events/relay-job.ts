// Scheduled: publishes domain events whose immediate publish failed (see outbox.ts).
import { relayOutbox } from './outbox';
import { logger } from '../log';

export async function handler(): Promise<{ published: number }> {
  const published = await relayOutbox();
  if (published) logger.warn('outbox relay published left-over events', { published });
  return { published };
}
