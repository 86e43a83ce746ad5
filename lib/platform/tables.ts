// The DynamoDB tables, built from lambdas/shared/store/table-design.ts. Encryption with a customer
// managed key (rotated) and point-in-time recovery are forced here, whatever a caller passes;
// deletion protection and retention follow the stage config (off only for throw-away stages).
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { AUDIT_TABLE, MAIN_TABLE, tableEnvName, type TableDesign } from '../../lambdas/shared/store/table-design';
import type { KairrFunction } from './kairr-function';

export interface DataTablesProps {
  retainData: boolean;
  deletionProtection: boolean;
}

const attrType = (t: 'S' | 'N') => (t === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER);

const READ = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const WRITE = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];
/** What the audit trail's writers get: append (conditional Put inside TransactWriteItems). Never Update/Delete. */
export const AUDIT_APPEND_ACTIONS = ['dynamodb:PutItem', 'dynamodb:ConditionCheckItem'];

export class DataTables extends Construct {
  readonly key: kms.Key;
  readonly main: dynamodb.TableV2;
  readonly audit: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: DataTablesProps) {
    super(scope, id);
    const removalPolicy = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    this.key = new kms.Key(this, 'Key', { enableKeyRotation: true, description: 'KAIRR data tables', removalPolicy });
    const make = (design: TableDesign, logicalId: string) =>
      new dynamodb.TableV2(this, logicalId, {
        partitionKey: { name: design.partitionKey.name, type: attrType(design.partitionKey.type) },
        sortKey: design.sortKey ? { name: design.sortKey.name, type: attrType(design.sortKey.type) } : undefined,
        billing: dynamodb.Billing.onDemand(),
        encryption: dynamodb.TableEncryptionV2.customerManagedKey(this.key),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: props.deletionProtection,
        removalPolicy,
        timeToLiveAttribute: design.ttlAttribute,
        globalSecondaryIndexes: design.indexes.map((ix) => ({
          indexName: ix.indexName,
          partitionKey: { name: ix.partitionKey.name, type: attrType(ix.partitionKey.type) },
          sortKey: ix.sortKey ? { name: ix.sortKey.name, type: attrType(ix.sortKey.type) } : undefined,
          projectionType: ix.projection === 'KEYS_ONLY' ? dynamodb.ProjectionType.KEYS_ONLY : dynamodb.ProjectionType.ALL,
        })),
      });
    this.main = make(MAIN_TABLE, 'Main');
    this.audit = make(AUDIT_TABLE, 'Audit');
  }

  /** The table and each of its indexes by name: no wildcard resources. */
  private arns(table: dynamodb.TableV2, design: TableDesign): string[] {
    return [table.tableArn, ...design.indexes.map((ix) => `${table.tableArn}/index/${ix.indexName}`)];
  }

  private grantKey(fn: KairrFunction, write: boolean): void {
    fn.allow(write ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt', 'kms:DescribeKey'], [this.key.keyArn]);
  }

  /** Main table: RO = read; RW = read and write. Sets TABLE_MAIN. */
  bindMain(fn: KairrFunction, mode: 'RO' | 'RW'): void {
    fn.withEnv(tableEnvName(MAIN_TABLE), this.main.tableName).allow(mode === 'RO' ? READ : [...READ, ...WRITE], this.arns(this.main, MAIN_TABLE));
    this.grantKey(fn, mode === 'RW');
  }

  /**
   * Audit table: 'append' = the write path may add events (PutItem/ConditionCheckItem only);
   * 'read' = query events. No mode grants UpdateItem or DeleteItem. Sets TABLE_AUDIT.
   */
  bindAudit(fn: KairrFunction, mode: 'append' | 'read' | 'append+read'): void {
    const actions = new Set<string>();
    if (mode.includes('append')) AUDIT_APPEND_ACTIONS.forEach((a) => actions.add(a));
    if (mode.includes('read')) ['dynamodb:GetItem', 'dynamodb:Query'].forEach((a) => actions.add(a));
    fn.withEnv(tableEnvName(AUDIT_TABLE), this.audit.tableName).allow([...actions], this.arns(this.audit, AUDIT_TABLE));
    this.grantKey(fn, mode.includes('append'));
  }
}
