// Scheduled per site (EventBridge rule input {"siteId": ...}, every minute): the stage watcher
// (watcher.ts). A failure fails the run (Lambda retries it, then dead-letters it); the next minute's
// run starts afresh, and the flow's backstop covers the gap.
import * as z from 'zod/mini';
import { SITE_ID } from '../domain/catalogue';
import { watchSite } from './watcher';

const Input = z.object({ siteId: z.string().check(z.regex(SITE_ID)) });

export async function handler(event: unknown): Promise<{ rounds: number; siteRequests: number; recorded: number }> {
  return watchSite(Input.parse(event).siteId);
}
