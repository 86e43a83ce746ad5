// Platform endpoints: health, the caller, the sites catalogue and the OpenAPI document.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { platformApi } from '../../lambdas/platform/api';
import { API_CATALOG } from '../../lambdas/api-catalog';
import { buildOpenApiDocument, OPENAPI_INFO } from '../../lambdas/shared/http/openapi';
import { KairrFunction, type FunctionDefaults } from './kairr-function';
import type { KairrApi } from './rest-api';

export interface PlatformEndpointsProps {
  api: KairrApi;
  defaults: FunctionDefaults;
  corsAllowOrigins: string[];
}

export class PlatformEndpoints extends Construct {
  readonly fn: KairrFunction;

  constructor(scope: Construct, id: string, props: PlatformEndpointsProps) {
    super(scope, id);
    // The OpenAPI document is generated here, at synth, from every capability's route specs, and
    // shipped beside the bundle: the handler then carries neither the specs nor the generator.
    const docFile = path.join(mkdtempSync(path.join(tmpdir(), 'kairr-openapi-')), 'openapi.json');
    writeFileSync(
      docFile,
      JSON.stringify(
        buildOpenApiDocument(
          API_CATALOG.map((c) => c.api),
          OPENAPI_INFO,
        ),
      ),
    );
    this.fn = new KairrFunction(this, 'Handler', {
      entry: 'lambdas/platform/handler.ts',
      description: 'KAIRR platform endpoints (health, me, sites, openapi)',
      defaults: props.defaults,
      environment: { CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(',') },
      assetFiles: [docFile],
    });
    props.api.addRoutes(platformApi, this.fn);
  }
}
