// Platform endpoints: health, how to sign in, the caller, the sites catalogue and the OpenAPI document.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { platformApi, type SignInConfig } from '../../lambdas/platform/api';
import { API_CATALOG } from '../../lambdas/api-catalog';
import { buildOpenApiDocument, OPENAPI_INFO } from '../../lambdas/shared/http/openapi';
import { KairrFunction, type FunctionDefaults } from './kairr-function';
import type { KairrApi } from './rest-api';

export interface PlatformEndpointsProps {
  api: KairrApi;
  defaults: FunctionDefaults;
  corsAllowOrigins: string[];
  /** GET /v1/auth/config's answer: the issuers' discovery documents and public client ids (lib/platform/identity.ts). */
  signIn: SignInConfig;
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
      // SIGN_IN: JSON, resolved at deploy (the Cognito pool's issuer and client are tokens until then).
      environment: { CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(','), SIGN_IN: Stack.of(this).toJsonString(props.signIn) },
      assetFiles: [docFile],
    });
    props.api.addRoutes(platformApi, this.fn);
  }
}
