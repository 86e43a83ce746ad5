// Steps of the data hub's stories that more than one e2e test tells: a model registered with a
// Hugging Face card, published by a curator and given an alias; and an auditor's read of one
// subject's audit events.
import { createHash } from 'node:crypto';
import { as, type Res } from './client';

/** A caller: as(role) or withToken(token). */
export interface Client {
  get<T = any>(path: string): Promise<Res<T>>;
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<Res<T>>;
  put<T = any>(path: string, body?: unknown): Promise<Res<T>>;
}

async function expectStatus(what: string, r: Promise<Res>, want: number): Promise<Res> {
  const x = await r;
  if (x.status !== want) throw new Error(`${what}: expected ${want}, got ${x.status} ${x.text}`);
  return x;
}

export interface ModelCard {
  language?: string[];
  library_name?: string;
  pipeline_tag?: string;
  tags?: string[];
  base_model?: string[];
  base_model_relation?: 'finetune' | 'adapter' | 'quantized' | 'merge';
  datasets?: string[];
  metrics?: string[];
  body?: string;
}

/**
 * The steward registers a model, its version 1.0.0 with `card` and one file, and submits it; a
 * curator publishes it; the steward points `alias` at it. Answers the model's id and the alias
 * move's answer. Each step's answer is checked: a failing step throws naming it.
 */
export async function registerModelWithAlias(steward: Client, m: { name: { ko?: string; en?: string }; licence: string; card: ModelCard; alias: string }): Promise<{ id: string; aliased: Res }> {
  const created = await expectStatus('registering the model', steward.post('/v1/models', { name: m.name, description: { en: 'A model registered by an e2e story.' }, fieldOfScience: '1.2', licence: m.licence, accessLevel: 'public' }), 201);
  const id = created.body.id as string;
  const v = `/v1/models/${id}/versions/1.0.0`;
  await expectStatus('its version with the card', steward.post(`/v1/models/${id}/versions`, { version: '1.0.0', changelog: 'first', modelCard: m.card }), 201);
  const config = Buffer.from('{}');
  await expectStatus('its manifest', steward.put(`${v}/manifest/pages/1`, { files: [{ path: 'config.json', bytes: config.length, sha256: createHash('sha256').update(config).digest('hex'), mediaType: 'application/json' }] }), 200);
  await expectStatus('submitting it', steward.post(`${v}/transitions`, { action: 'submit' }), 200);
  await expectStatus('the curator publishing it', as('curator').post(`${v}/transitions`, { action: 'publish' }), 200);
  const aliased = await steward.put(`/v1/models/${id}/aliases/${m.alias}`, { version: '1.0.0' });
  return { id, aliased };
}

/** Every audit event of one subject, in seq order (the auditor's view, every page). */
export async function auditEventsOf(subjectType: string, subjectId: string): Promise<{ action: string; actor: { sub: string; role: string }; details: Record<string, unknown> | null; time: string }[]> {
  const out: any[] = [];
  let next: string | undefined;
  do {
    const q = new URLSearchParams({ subjectType, subjectId, limit: '100', ...(next ? { nextToken: next } : {}) });
    const page = await expectStatus(`the audit events of ${subjectType}/${subjectId}`, as('auditor').get(`/v1/audit/events?${q}`), 200);
    out.push(...page.body.items);
    next = page.body.nextToken;
  } while (next);
  return out;
}
