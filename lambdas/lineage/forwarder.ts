// Forwards KAIRR's run events to an OpenLineage backend, when the stage's configuration names one
// (docs/pipelines.md, "Lineage"): Marquez's POST /api/v1/lineage, which takes one RunEvent per
// request as JSON and answers 201 Created. KAIRR's own store stays the source of truth; a backend
// that is down delays forwarding, never the pipeline (the caller retries what this reports as
// retryable: network errors, timeouts, 429 and 5xx; a 4xx other than 429 will fail again).
import type { RunEvent } from '../domain/lineage/events';

export interface ForwarderConfig {
  /** The backend's base URL, e.g. https://marquez.example.org (the path /api/v1/lineage is added). */
  url: string;
  /** Sent as "Authorization: Bearer <key>", as OpenLineage's HTTP transport does (from Secrets Manager). */
  apiKey?: string;
  timeoutMs?: number;
}

export type ForwardResult = { ok: true; status: number } | { ok: false; retryable: boolean; status?: number; error: string };

export async function forwardEvent(event: RunEvent, config: ForwarderConfig): Promise<ForwardResult> {
  const url = `${config.url.replace(/\/+$/, '')}/api/v1/lineage`;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}) },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(config.timeoutMs ?? 5_000),
    });
    const text = await res.text();
    if (res.ok) return { ok: true, status: res.status };
    return { ok: false, retryable: res.status === 429 || res.status >= 500, status: res.status, error: `${url} answered ${res.status}: ${text.slice(0, 300)}` };
  } catch (e) {
    return { ok: false, retryable: true, error: `${url}: ${(e as Error).message}` };
  }
}

/** Forwards in order (a run's START before its COMPLETE); stops at the first failure and says where. */
export async function forwardEvents(events: readonly RunEvent[], config: ForwarderConfig): Promise<{ forwarded: number; failure?: ForwardResult & { ok: false } }> {
  let forwarded = 0;
  for (const e of events) {
    const r = await forwardEvent(e, config);
    if (!r.ok) return { forwarded, failure: r };
    forwarded++;
  }
  return { forwarded };
}
