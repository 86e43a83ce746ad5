// Platform endpoints: health, the caller, the sites catalogue and the OpenAPI document.
import { Construct } from 'constructs';
import { platformApi } from '../../lambdas/platform/api';
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
    this.fn = new KairrFunction(this, 'Handler', {
      entry: 'lambdas/platform/handler.ts',
      description: 'KAIRR platform endpoints (health, me, sites, openapi)',
      defaults: props.defaults,
      environment: { CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(',') },
    });
    props.api.addRoutes(platformApi, this.fn);
  }
}
