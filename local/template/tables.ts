// The template's DynamoDB tables, as CreateTable inputs for DynamoDB Local (keys, indexes,
// streams; TTL is set after creation).
import type { Template } from './template';

export interface TableDef {
  logicalId: string;
  name: string;
  // The CreateTable input, as DynamoDB Local takes it.
  createInput: Record<string, unknown>;
  ttlAttribute?: string;
}

export function tablesOf(t: Template): TableDef[] {
  return [...t.ofType('AWS::DynamoDB::GlobalTable'), ...t.ofType('AWS::DynamoDB::Table')].map(([id, r]) => {
    const p = r.Properties ?? {};
    const name = t.physicalName(id);
    return {
      logicalId: id,
      name,
      ttlAttribute: p.TimeToLiveSpecification?.Enabled ? p.TimeToLiveSpecification.AttributeName : undefined,
      createInput: {
        TableName: name,
        AttributeDefinitions: p.AttributeDefinitions,
        KeySchema: p.KeySchema,
        BillingMode: 'PAY_PER_REQUEST',
        ...(p.GlobalSecondaryIndexes?.length ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes.map((g: Record<string, unknown>) => ({ IndexName: g.IndexName, KeySchema: g.KeySchema, Projection: g.Projection })) } : {}),
        ...(p.StreamSpecification ? { StreamSpecification: { StreamEnabled: true, StreamViewType: p.StreamSpecification.StreamViewType } } : {}),
      },
    };
  });
}
