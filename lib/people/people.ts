// Training programmes, internships and mentoring: two functions.
//   Catalogue  public, read-only: the course catalogue and search, Bioschemas JSON-LD, instances,
//              postings, organisations, and certificate verification (reads the audit trail).
//   Api        signed-in: courses and instances, enrolment, completion, role grants, internships,
//              mentoring, the caller's records and the participation report.
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { catalogueApi } from '../../lambdas/people/catalogue-api';
import { peopleApi } from '../../lambdas/people/api';
import { KairrFunction, type FunctionDefaults } from '../platform/kairr-function';
import type { KairrApi } from '../platform/rest-api';
import type { DataTables } from '../platform/tables';

export interface PeopleProps {
  api: KairrApi;
  tables: DataTables;
  defaults: FunctionDefaults;
  corsAllowOrigins: string[];
}

export class People extends Construct {
  readonly catalogueFn: KairrFunction;
  readonly apiFn: KairrFunction;
  readonly functions: KairrFunction[];

  constructor(scope: Construct, id: string, props: PeopleProps) {
    super(scope, id);
    const environment = { CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(',') };
    this.catalogueFn = new KairrFunction(this, 'Catalogue', {
      entry: 'lambdas/people/catalogue-handler.ts',
      description: 'KAIRR public programmes catalogue and certificate verification',
      defaults: props.defaults,
      environment,
    });
    props.tables.bindMain(this.catalogueFn, 'RO');
    props.tables.bindAudit(this.catalogueFn, 'read');
    props.api.addRoutes(catalogueApi, this.catalogueFn);

    this.apiFn = new KairrFunction(this, 'Api', {
      entry: 'lambdas/people/handler.ts',
      description: 'KAIRR training programmes, internships and mentoring',
      defaults: props.defaults,
      memorySize: 512,
      timeout: Duration.seconds(29),
      environment,
    });
    props.tables.bindMain(this.apiFn, 'RW');
    props.tables.bindAudit(this.apiFn, 'append');
    props.api.addRoutes(peopleApi, this.apiFn);
    this.functions = [this.catalogueFn, this.apiFn];
  }
}
