// The identity capability: the organisation registry, the people KAIRR keeps records of (roles
// admins assign, recorded affiliations, links between issuers' subjects) and GET /v1/me, served by
// one API function that reads and writes the main table through the audited write path.
import { Construct } from 'constructs';
import { identityApi } from '../../lambdas/identity/api';
import { KairrFunction, type FunctionDefaults } from '../platform/kairr-function';
import type { KairrApi } from '../platform/rest-api';
import type { DataTables } from '../platform/tables';

export interface RegistryProps {
  api: KairrApi;
  tables: DataTables;
  defaults: FunctionDefaults;
  corsAllowOrigins: string[];
}

export class Registry extends Construct {
  readonly fn: KairrFunction;

  constructor(scope: Construct, id: string, props: RegistryProps) {
    super(scope, id);
    this.fn = new KairrFunction(this, 'Api', {
      entry: 'lambdas/identity/handler.ts',
      description: 'KAIRR organisation registry, people and the caller',
      defaults: props.defaults,
      environment: { CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(',') },
    });
    props.tables.bindMain(this.fn, 'RW');
    props.tables.bindAudit(this.fn, 'append');
    props.api.addRoutes(identityApi, this.fn);
  }
}
