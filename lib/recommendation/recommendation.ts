// Purpose-based recommendation (light, any caller) and the committee's award plan (HiGHS, for
// chairs and admins; 1,769 MB = one full vCPU for the solver). HiGHS's two files, highs.js and
// highs.wasm, ship beside the award plan's bundle and load on its first solve.
import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { recommendationApi } from '../../lambdas/recommendation/api';
import { awardPlanApi } from '../../lambdas/recommendation/award-plan-api';
import { KairrFunction, type FunctionDefaults } from '../platform/kairr-function';
import type { KairrApi } from '../platform/rest-api';
import type { DataTables } from '../platform/tables';

export interface RecommendationProps {
  api: KairrApi;
  tables: DataTables;
  defaults: FunctionDefaults;
  corsAllowOrigins: string[];
}

export class Recommendation extends Construct {
  readonly recommendFn: KairrFunction;
  readonly awardPlanFn: KairrFunction;

  constructor(scope: Construct, id: string, props: RecommendationProps) {
    super(scope, id);
    const env = { CORS_ALLOW_ORIGINS: props.corsAllowOrigins.join(',') };
    this.recommendFn = new KairrFunction(this, 'Recommend', {
      entry: 'lambdas/recommendation/handler.ts',
      description: 'KAIRR purpose-based resource recommendation',
      defaults: props.defaults,
      environment: env,
    });
    props.tables.bindMain(this.recommendFn, 'RO');
    props.api.addRoutes(recommendationApi, this.recommendFn);

    this.awardPlanFn = new KairrFunction(this, 'AwardPlan', {
      entry: 'lambdas/recommendation/award-plan-handler.ts',
      description: 'KAIRR award plan (HiGHS MIP) for the committee',
      defaults: props.defaults,
      memorySize: 1769,
      timeout: Duration.seconds(29),
      environment: env,
      // HiGHS's glue and wasm ship beside the bundle and load on the first solve (lambdas/recommendation/highs-loader.ts)
      assetFiles: ['node_modules/highs/build/highs.js', 'node_modules/highs/build/highs.wasm'],
    });
    props.tables.bindMain(this.awardPlanFn, 'RW');
    props.tables.bindAudit(this.awardPlanFn, 'append');
    props.api.addRoutes(awardPlanApi, this.awardPlanFn);
  }
}
