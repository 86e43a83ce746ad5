// The verification routes' handlers (verification-api.ts), joined into the data hub's function
// (handler.ts). Thin: parse the kind, call the service, answer.
import { NotFoundError } from '../domain/errors';
import type { ArtifactKind } from '../domain/datahub/model';
import type { Request, Result } from '../shared/http/router';
import type { RouteSpec } from '../shared/http/spec';
import { getVerification, startVerification, type VerifyBody } from './verification';

type Params = { kind: string; id: string; version: string; locationId: string; verificationId?: string };

function kindOf(p: Params): ArtifactKind {
  if (p.kind === 'datasets') return 'dataset';
  if (p.kind === 'models') return 'model';
  throw new NotFoundError('Route', `/v1/${p.kind}`);
}

export const verificationHandlers = {
  verifyArtifactLocation: async ({ caller, params, body, idempotencyKey, requestId }: Request<RouteSpec>): Promise<Result> => {
    const p = params as Params;
    const r = await startVerification(kindOf(p), p.id, p.version, p.locationId, body as VerifyBody, caller!, idempotencyKey, requestId);
    // a retry answers as the first request did (202, the same verification), marked as a replay
    return { status: r.status, body: r.body, headers: (r.replayed ? { 'idempotent-replayed': 'true' } : {}) as Record<string, string> };
  },
  getArtifactLocationVerification: async ({ caller, params, requestId }: Request<RouteSpec>): Promise<Result> => {
    const p = params as Params;
    return { body: await getVerification(kindOf(p), p.id, p.version, p.locationId, p.verificationId!, caller!, requestId) };
  },
};
