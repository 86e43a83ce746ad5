// The served OpenAPI document holds every data hub route and stays a valid OpenAPI 3.1 document.
import { API_CATALOG } from '../../../lambdas/api-catalog';
import { buildOpenApiDocument, OPENAPI_INFO } from '../../../lambdas/shared/http/openapi';
import { datahubApi } from '../../../lambdas/datahub/api';
import { validateOpenApi } from '../../support/openapi';

it('every data hub route is in the OpenAPI document, which validates', () => {
  const doc = buildOpenApiDocument(
    API_CATALOG.map((c) => c.api),
    OPENAPI_INFO,
  ) as { paths: Record<string, Record<string, { operationId: string; security: unknown[] }>> };
  for (const [name, r] of Object.entries(datahubApi)) {
    const op = doc.paths[r.path]?.[r.method.toLowerCase()];
    expect({ name, op: op?.operationId }).toEqual({ name, op: name });
    expect({ name, security: op.security.length }).toEqual({ name, security: r.auth === 'public' ? 0 : 1 });
  }
  const v = validateOpenApi(doc);
  expect(v.errors ?? []).toEqual([]);
  expect(v.valid).toBe(true);
});
