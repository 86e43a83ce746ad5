// The KAIRR stack: a small composition of one construct per capability.
import { Stack, type StackProps, CfnOutput } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import * as sqs from 'aws-cdk-lib/aws-sqs'; // edge
import * as sfn from 'aws-cdk-lib/aws-stepfunctions'; // edge
import { runtimeConfigOf, type StageConfig } from './config/schema';
import type { FunctionDefaults, KairrFunction } from './platform/kairr-function';
import { DataTables } from './platform/tables';
import { KairrApi } from './platform/rest-api';
import { PlatformEndpoints } from './platform/platform-endpoints';
import { Alarms } from './platform/alarms';
import { Identity } from './platform/identity';
import { KairrEventBus } from './platform/event-bus';
import { Ledger } from './ledger/ledger';
import { Connectors } from './connectors/connectors'; // connectors
import { Recommendation } from './recommendation/recommendation';
// ---- approval ----
import { Approval } from './approval/approval';
// ---- end approval ----
import { Audit } from './audit/audit'; // audit
// ---- people ----
import { People } from './people/people';
// ---- end people ----
import { Registry } from './identity/registry'; // identity
// ---- datahub ----
import { Datahub } from './datahub/datahub';
// ---- end datahub ----
import { Accountability } from './accountability/accountability'; // accountability
// ---- pipelines ----
import { Pipelines } from './pipelines/pipelines';
// ---- end pipelines ----

export interface KairrStackProps extends StackProps {
  config: StageConfig;
}

export class KairrStack extends Stack {
  readonly tables: DataTables;
  readonly api: KairrApi;
  readonly functions: KairrFunction[] = [];

  constructor(scope: Construct, id: string, props: KairrStackProps) {
    super(scope, id, props);
    const cfg = props.config;
    const defaults: FunctionDefaults = {
      runtimeConfig: runtimeConfigOf(cfg),
      logRetentionDays: cfg.retention.logRetentionDays,
      retainData: cfg.retention.retainData,
    };

    this.tables = new DataTables(this, 'Data', { retainData: cfg.retention.retainData, deletionProtection: cfg.retention.deletionProtection });
    const identity = new Identity(this, 'Identity', { config: cfg.identity, stage: cfg.stage });
    this.api = new KairrApi(this, 'Api', {
      stage: cfg.stage,
      defaults,
      issuers: identity.issuers,
      allowHttpJwks: cfg.identity.allowHttpJwks,
      corsAllowOrigins: cfg.api.corsAllowOrigins,
      throttleRateLimit: cfg.api.throttleRateLimit,
      throttleBurstLimit: cfg.api.throttleBurstLimit,
      webAcl: cfg.api.webAcl,
    });
    const platform = new PlatformEndpoints(this, 'Platform', { api: this.api, defaults, corsAllowOrigins: cfg.api.corsAllowOrigins, signIn: identity.signIn });
    const bus = new KairrEventBus(this, 'Events');
    const ledger = new Ledger(this, 'Ledger', { api: this.api, tables: this.tables, bus, defaults, corsAllowOrigins: cfg.api.corsAllowOrigins });
    this.functions.push(this.api.authorizerFunction, platform.fn, ledger.fn, ...ledger.jobs.map((j) => j.fn));
    const recommendation = new Recommendation(this, 'Recommendation', { api: this.api, tables: this.tables, defaults, corsAllowOrigins: cfg.api.corsAllowOrigins });
    this.functions.push(recommendation.recommendFn, recommendation.awardPlanFn);
    // ---- connectors ----
    const connectors = new Connectors(this, 'Connectors', { config: cfg, api: this.api, tables: this.tables, bus, ledger, defaults, corsAllowOrigins: cfg.api.corsAllowOrigins });
    this.functions.push(...connectors.functions);
    // ---- end connectors ----
    // ---- approval ----
    const approval = new Approval(this, 'Approval', { api: this.api, tables: this.tables, bus, defaults, corsAllowOrigins: cfg.api.corsAllowOrigins, notificationEmails: cfg.notifications.emails });
    this.functions.push(...approval.functions);
    // ---- end approval ----
    // ---- accountability ----
    const accountability = new Accountability(this, 'Accountability', {
      api: this.api,
      tables: this.tables,
      bus,
      defaults,
      corsAllowOrigins: cfg.api.corsAllowOrigins,
      notifications: approval.topic,
      publicThrottle: { rateLimit: cfg.policy.accountability.publicThrottleRateLimit, burstLimit: cfg.policy.accountability.publicThrottleBurstLimit },
    });
    this.functions.push(...accountability.functions);
    // ---- end accountability ----
    // ---- audit ----
    const audit = new Audit(this, 'Audit', {
      api: this.api,
      tables: this.tables,
      defaults,
      corsAllowOrigins: cfg.api.corsAllowOrigins,
      anchorRetentionDays: cfg.retention.auditAnchorRetentionDays,
      anchorIntervalMinutes: cfg.audit.anchorIntervalMinutes,
      exportRetentionDays: cfg.audit.exportRetentionDays,
      exportUrlTtlSeconds: cfg.audit.exportUrlTtlSeconds,
    });
    this.functions.push(...audit.functions);
    // ---- end audit ----
    // ---- people ----
    const people = new People(this, 'People', { api: this.api, tables: this.tables, defaults, corsAllowOrigins: cfg.api.corsAllowOrigins });
    this.functions.push(...people.functions);
    // ---- end people ----
    // ---- identity ----
    const registry = new Registry(this, 'Registry', { api: this.api, tables: this.tables, defaults, corsAllowOrigins: cfg.api.corsAllowOrigins });
    this.functions.push(registry.fn);
    // ---- end identity ----
    // ---- datahub ----
    const datahub = new Datahub(this, 'Datahub', { api: this.api, tables: this.tables, defaults, corsAllowOrigins: cfg.api.corsAllowOrigins, config: cfg.datahub, siteJobs: { connectors, pipelinesConfig: cfg.pipelines } });
    this.functions.push(...datahub.functions);
    // ---- end datahub ----
    // ---- pipelines ----
    const pipelines = new Pipelines(this, 'Pipelines', { api: this.api, tables: this.tables, connectors, defaults, corsAllowOrigins: cfg.api.corsAllowOrigins, config: cfg.pipelines, siteIds: cfg.sites.map((s) => s.id) });
    this.functions.push(...pipelines.functions);
    // ---- end pipelines ----

    const alarms = new Alarms(this, 'Alarms', { email: cfg.alarmEmail, key: this.tables.key });
    alarms.watchApi(this.api.restApi);
    for (const fn of this.functions) alarms.watchFunction(fn);
    // ---- parked usage ----
    ledger.alarmOnParkedUsage(
      alarms.topic,
      cfg.stage,
      cfg.sites.map((s) => s.id),
    );
    // ---- end parked usage ----
    // ---- edge: every queue in KAIRR is a dead-letter queue; every state machine is watched ----
    for (const c of this.node.findAll()) {
      if (c instanceof sqs.Queue) alarms.watchDeadLetters(c);
      else if (c instanceof sfn.StateMachine) alarms.watchStateMachine(c);
    }
    // ---- end edge ----

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'Base URL of the KAIRR API (paths start with /v1)' });
  }
}
