// The connectors as deployed: the provisioning definition is the ASL file, every task target is
// granted, allocation events reach the flow with a dead-letter queue, each site has its schedules,
// connector roles may only append to the audit trail and read only their sites' secrets, and with
// connectorsVpc the functions run in isolated subnets whose only egress is the schedulers and the
// AWS service endpoints.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { synthStage, statementsByRole, actionsOf, resourcesOf, type Synth } from './support/synth';
import { PROVISIONING_ASL } from '../../lib/connectors/connectors';
import { INTERFACE_ENDPOINTS, schedulerPorts } from '../../lib/connectors/network';
import { PROVISIONING_EVENT_TYPES } from '../../lambdas/connectors/provisioning/events';
import { AUDIT_APPEND_ACTIONS } from '../../lib/platform/tables';

type Res = { Type: string; Properties: Record<string, any> };

let local: Synth;
let example: Synth;
beforeAll(() => {
  local = synthStage('local');
  example = synthStage('example');
});

const resources = (s: Synth, type: string) => Object.entries(s.template.findResources(type)) as [string, Res][];
const connectorFunctions = (s: Synth) => resources(s, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('Connectors'));
const roleOf = (fn: Res) => (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

describe('provisioning state machine', () => {
  it('deploys exactly statemachines/provisioning.asl.json, its placeholders filled with the step function', () => {
    for (const s of [local, example]) {
      const [[, sm]] = resources(s, 'AWS::StepFunctions::StateMachine').filter(([id]) => id.startsWith('ConnectorsProvisioning'));
      const assembly = s.app.synth();
      const key: string = sm.Properties.DefinitionS3Location.Key;
      const manifest = JSON.parse(readFileSync(join(assembly.directory, `${s.stack.artifactId}.assets.json`), 'utf8')) as { files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }> };
      const asset = Object.values(manifest.files).find((f) => Object.values(f.destinations).some((d) => d.objectKey === key))!;
      const deployed = readFileSync(join(assembly.directory, asset.source.path), 'utf8');
      const file = readFileSync(PROVISIONING_ASL, 'utf8');
      const placeholders = [...new Set([...file.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]))];
      const [[stepId]] = connectorFunctions(s).filter(([id]) => id.startsWith('ConnectorsProvisioningStep'));

      expect(deployed).toBe(file);
      expect(Object.keys(sm.Properties.DefinitionSubstitutions)).toEqual(placeholders);
      expect(sm.Properties.DefinitionSubstitutions).toEqual({ ProvisioningStepFunctionArn: { 'Fn::GetAtt': [stepId, 'Arn'] } });
      // after substitution it is valid JSON, in JSONPath (the local runtime runs it as is)
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL definitionSubstitutions placeholder, not a template literal
      const substituted = JSON.parse(file.replaceAll('${ProvisioningStepFunctionArn}', 'arn:aws:lambda:ap-northeast-2:000000000000:function:step'));
      expect(substituted.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
      expect(sm.Properties.TracingConfiguration).toEqual({ Enabled: true });
    }
  });

  it('may invoke every task target of the definition, and nothing else', () => {
    const asl = JSON.parse(readFileSync(PROVISIONING_ASL, 'utf8'));
    const targets = new Set<string>();
    const walk = (states: Record<string, any>) => {
      for (const st of Object.values(states)) {
        if (st.Type === 'Task') {
          expect(st.Resource).toBe('arn:aws:states:::lambda:invoke');
          targets.add(String(st.Parameters.FunctionName));
        }
        if (st.ItemProcessor) walk(st.ItemProcessor.States);
      }
    };
    walk(asl.States);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL definitionSubstitutions placeholder, not a template literal
    expect([...targets]).toEqual(['${ProvisioningStepFunctionArn}']);

    for (const s of [local, example]) {
      const [[, sm]] = resources(s, 'AWS::StepFunctions::StateMachine').filter(([id]) => id.startsWith('ConnectorsProvisioning'));
      const stmts = statementsByRole(s.template).get(sm.Properties.RoleArn['Fn::GetAtt'][0])!;
      const fnArn = sm.Properties.DefinitionSubstitutions.ProvisioningStepFunctionArn;
      const invoke = stmts.filter((st) => actionsOf(st).includes('lambda:InvokeFunction'));
      expect(invoke.flatMap(resourcesOf)).toEqual(expect.arrayContaining([JSON.stringify(fnArn)]));
      // no other function: every resource of the grant is the step function or its versions
      for (const r of invoke.flatMap(resourcesOf)) expect(r).toContain(fnArn['Fn::GetAtt'][0]);
    }
  });

  it('retries only transient connector and Lambda errors, and catches everything into "Mark provisioning failed"', () => {
    const asl = JSON.parse(readFileSync(PROVISIONING_ASL, 'utf8'));
    const converge = asl.States['Converge each resource'].ItemProcessor.States['Converge account'];
    expect(converge.Retry.flatMap((r: { ErrorEquals: string[] }) => r.ErrorEquals)).toEqual(expect.arrayContaining(['Connector.Transient', 'Lambda.ServiceException']));
    expect(converge.Retry.flatMap((r: { ErrorEquals: string[] }) => r.ErrorEquals)).not.toContain('States.ALL');
    for (const name of ['Plan', 'Converge each resource', 'Record accounts']) {
      expect(asl.States[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Mark provisioning failed' }]);
    }
    expect(asl.States['Mark provisioning failed'].Next).toBe('Provisioning failed');
    expect(asl.States['Provisioning failed'].Type).toBe('Fail');
  });
});

describe('events and schedules', () => {
  it('sends the allocation events on the KAIRR bus to the flow, with retries and a dead-letter queue', () => {
    for (const s of [local, example]) {
      const [[busId]] = resources(s, 'AWS::Events::EventBus');
      const rules = resources(s, 'AWS::Events::Rule').filter(([, r]) => r.Properties.EventPattern);
      const [[, rule]] = rules.filter(([id]) => id.startsWith('ConnectorsProvisioningEvents'));
      const [[smId]] = resources(s, 'AWS::StepFunctions::StateMachine').filter(([id]) => id.startsWith('ConnectorsProvisioning'));
      expect(rule.Properties.EventBusName).toEqual({ Ref: busId });
      expect(rule.Properties.EventPattern).toEqual({ source: ['kairr'], 'detail-type': [...PROVISIONING_EVENT_TYPES] });
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: { Ref: smId },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ConnectorsProvisioningDeadLetters/), 'Arn'] } },
          RetryPolicy: expect.objectContaining({ MaximumRetryAttempts: expect.any(Number) }),
        }),
      ]);
    }
  });

  it('collects usage and reconciles each configured site on its own schedule, with dead-letter queues', () => {
    for (const s of [local, example]) {
      const scheduled = resources(s, 'AWS::Events::Rule').filter(([id]) => /^Connectors(Collect|Reconcile)/.test(id));
      for (const site of s.config.sites) {
        const collect = scheduled.find(([id, r]) => id.startsWith('ConnectorsCollect') && JSON.parse(r.Properties.Targets[0].Input).siteId === site.id)?.[1];
        const reconcile = scheduled.find(([id, r]) => id.startsWith('ConnectorsReconcile') && JSON.parse(r.Properties.Targets[0].Input).siteId === site.id)?.[1];
        expect(collect?.Properties.ScheduleExpression).toBe(`rate(${s.config.policy.usageCollectionIntervalMinutes} minutes)`);
        expect(reconcile?.Properties.ScheduleExpression).toBe(`rate(${s.config.policy.reconcileIntervalMinutes} minutes)`);
        for (const r of [collect!, reconcile!]) expect(r.Properties.Targets[0].DeadLetterConfig).toBeDefined();
      }
      expect(scheduled).toHaveLength(2 * s.config.sites.length);
    }
  });
});

describe('connector roles', () => {
  it('may only append to the audit trail (PutItem, ConditionCheckItem), never read, update or delete it', () => {
    for (const s of [local, example]) {
      const [[auditId]] = resources(s, 'AWS::DynamoDB::GlobalTable').filter(([id]) => id.startsWith('DataAudit'));
      const byRole = statementsByRole(s.template);
      const fns = connectorFunctions(s);
      expect(fns.length).toBe(4);
      for (const [id, fn] of fns) {
        const onAudit = (byRole.get(roleOf(fn)) ?? []).filter((st) => resourcesOf(st).some((r) => r.includes(auditId)));
        expect({ id, actions: [...new Set(onAudit.flatMap(actionsOf))].sort() }).toEqual({ id, actions: [...AUDIT_APPEND_ACTIONS].sort() });
      }
    }
  });

  it("read only their sites' credentials secrets, by name", () => {
    for (const s of [local, example]) {
      for (const [id, fn] of connectorFunctions(s)) {
        const secrets = (statementsByRole(s.template).get(roleOf(fn)) ?? []).filter((st) => actionsOf(st).some((a) => a.startsWith('secretsmanager:')));
        expect({ id, actions: secrets.flatMap(actionsOf) }).toEqual({ id, actions: ['secretsmanager:GetSecretValue'] });
        const names = secrets.flatMap(resourcesOf).join(' ');
        for (const site of s.config.sites) expect(names).toContain(`secret:${site.scheduler.credentialsSecretName}-??????`);
        expect(secrets.flatMap(resourcesOf)).toHaveLength(s.config.sites.length);
      }
    }
  });

  it('the usage collector may invoke the ledger function (the ledger writes charges), and only it', () => {
    for (const s of [local, example]) {
      const [[, collector]] = connectorFunctions(s).filter(([id]) => id.startsWith('ConnectorsUsageCollector'));
      const [[ledgerId]] = resources(s, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('LedgerApi'));
      const invoke = (statementsByRole(s.template).get(roleOf(collector)) ?? []).filter((st) => actionsOf(st).includes('lambda:InvokeFunction'));
      expect(invoke.flatMap(resourcesOf).every((r) => r.includes(ledgerId))).toBe(true);
      expect(collector.Properties.Environment.Variables.LEDGER_FUNCTION_NAME).toEqual({ Ref: ledgerId });
    }
  });
});

describe('network placement', () => {
  it('without connectorsVpc (local), no function is in a VPC and no VPC is made', () => {
    for (const [, fn] of connectorFunctions(local)) expect(fn.Properties.VpcConfig).toBeUndefined();
    local.template.resourceCountIs('AWS::EC2::VPC', 0);
  });

  it('with connectorsVpc, every connector function runs in the isolated subnets with the connectors security group', () => {
    const subnets = resources(example, 'AWS::EC2::Subnet');
    const [[sgId]] = resources(example, 'AWS::EC2::SecurityGroup').filter(([id]) => id.startsWith('ConnectorsNetworkConnectors'));
    expect(subnets.length).toBeGreaterThanOrEqual(2);
    for (const [, sn] of subnets) expect(sn.Properties.MapPublicIpOnLaunch).toBe(false);
    // no way to or from the internet: no internet or NAT gateway, no EIP
    for (const t of ['AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP', 'AWS::EC2::VPCGatewayAttachment']) example.template.resourceCountIs(t, 0);
    for (const [id, fn] of connectorFunctions(example)) {
      expect({ id, vpc: fn.Properties.VpcConfig }).toEqual({ id, vpc: { SubnetIds: subnets.map(([sid]) => ({ Ref: sid })), SecurityGroupIds: [{ 'Fn::GetAtt': [sgId, 'GroupId'] }] } });
    }
    // only the connectors are placed in the VPC, and the pipelines' functions, which reach the
    // schedulers through the jobs capability (dispatch, status, cancel) in the same subnets
    for (const [id, fn] of resources(example, 'AWS::Lambda::Function')) {
      if (id.startsWith('Pipelines')) expect({ id, vpc: fn.Properties.VpcConfig }).toEqual({ id, vpc: { SubnetIds: subnets.map(([sid]) => ({ Ref: sid })), SecurityGroupIds: [{ 'Fn::GetAtt': [sgId, 'GroupId'] }] } });
      else if (!id.startsWith('Connectors')) expect(fn.Properties.VpcConfig).toBeUndefined();
    }
  });

  it("lets the connectors out only to the scheduler CIDRs on the schedulers' ports and HTTPS to the endpoints", () => {
    const cfg = example.config.connectorsVpc!;
    const [[sgId, sg]] = resources(example, 'AWS::EC2::SecurityGroup').filter(([id]) => id.startsWith('ConnectorsNetworkConnectors'));
    const [[endpointsSgId]] = resources(example, 'AWS::EC2::SecurityGroup').filter(([id]) => id.startsWith('ConnectorsNetworkEndpoints'));
    const separate = resources(example, 'AWS::EC2::SecurityGroupEgress')
      .filter(([, e]) => JSON.stringify(e.Properties.GroupId).includes(sgId))
      .map(([, e]) => e.Properties);
    const egress = [...(sg.Properties.SecurityGroupEgress ?? []), ...separate];
    const ports = schedulerPorts(example.config.sites);

    const toCidrs = egress.filter((e) => e.CidrIp);
    expect(toCidrs.map((e) => `${e.CidrIp}:${e.IpProtocol}:${e.FromPort}-${e.ToPort}`).sort()).toEqual(cfg.schedulerCidrs.flatMap((c) => ports.map((p) => `${c}:tcp:${p}-${p}`)).sort());
    const others = egress.filter((e) => !e.CidrIp);
    expect(others).toHaveLength(2);
    expect(others).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationSecurityGroupId: { 'Fn::GetAtt': [endpointsSgId, 'GroupId'] } }),
        expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationPrefixListId: cfg.dynamoDbPrefixListId }),
      ]),
    );
    expect(JSON.stringify(egress)).not.toContain('0.0.0.0/0');
    // the endpoints take HTTPS from the connectors only
    const ingress = resources(example, 'AWS::EC2::SecurityGroupIngress')
      .filter(([, i]) => JSON.stringify(i.Properties.GroupId).includes(endpointsSgId))
      .map(([, i]) => i.Properties);
    expect(ingress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] } })]);
  });

  it('has a DynamoDB gateway endpoint and interface endpoints (private DNS) for every AWS service the connectors call, and flow logs', () => {
    const endpoints = resources(example, 'AWS::EC2::VPCEndpoint').map(([, e]) => e.Properties);
    const gateway = endpoints.filter((e) => e.VpcEndpointType === 'Gateway');
    const iface = endpoints.filter((e) => e.VpcEndpointType === 'Interface');
    expect(gateway).toHaveLength(1);
    expect(JSON.stringify(gateway[0].ServiceName)).toContain('.dynamodb');
    const services = iface.map((e) => String(e.ServiceName).split('.').pop()).sort();
    expect(services).toEqual(['events', 'kms', 'lambda', 'logs', 'secretsmanager', 'states', 'xray']);
    expect(services).toHaveLength(INTERFACE_ENDPOINTS.length);
    for (const e of iface) expect(e.PrivateDnsEnabled).toBe(true);
    example.template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', ResourceType: 'VPC' });
  });

  it("refuses a VPC whose CIDR overlaps a scheduler network, and a VPC without DynamoDB's prefix list", () => {
    expect(() => synthStage('example', (c) => ({ ...c, connectorsVpc: { ...c.connectorsVpc!, cidr: '10.20.8.0/22' } }))).toThrow(/overlaps the scheduler network 10\.20\.0\.0\/16/);
    expect(() => synthStage('example', (c) => ({ ...c, connectorsVpc: { ...c.connectorsVpc!, dynamoDbPrefixListId: undefined } }))).toThrow(/dynamoDbPrefixListId is required/);
  });
});
