// dynamodb:* Task integrations executed for real against DynamoDB Local (started here; ~4 s).
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoLocal, type DynamoLocal } from '../../dynamo';
import { startLocalSfn, type AslDefinition, type LocalSfn } from '../../sfn';
import { enteredStates, machineArn, REGION } from './support';

const TABLE = 'Allocations';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let dynamoDbLocal: DynamoLocal;
let dynamoDb: DynamoDBClient;
let sfn: LocalSfn;

const key = { pk: { 'S.$': '$.id' } };
const LEDGER: AslDefinition = {
  StartAt: 'Open',
  States: {
    Open: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Parameters: {
        TableName: TABLE,
        Item: { pk: { 'S.$': '$.id' }, balance: { 'N.$': "States.Format('{}', $.balance)" } },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
      ResultPath: null,
      Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.error', Next: 'AlreadyOpen' }],
      Next: 'Debit',
    },
    Debit: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:updateItem',
      Parameters: {
        TableName: TABLE,
        Key: key,
        UpdateExpression: 'SET balance = balance - :amount',
        ConditionExpression: 'balance >= :amount',
        ExpressionAttributeValues: { ':amount': { 'N.$': "States.Format('{}', $.amount)" } },
        ReturnValues: 'ALL_NEW',
      },
      ResultSelector: { 'balance.$': '$.Attributes.balance.N' },
      ResultPath: '$.after',
      Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.error', Next: 'Insufficient' }],
      Next: 'Read',
    },
    Read: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:getItem',
      Parameters: { TableName: TABLE, Key: key, ConsistentRead: true },
      ResultSelector: { 'balance.$': '$.Item.balance.N' },
      ResultPath: '$.read',
      End: true,
    },
    AlreadyOpen: { Type: 'Pass', End: true },
    Insufficient: { Type: 'Pass', End: true },
  },
};

const DEBIT_ONLY: AslDefinition = { StartAt: 'Debit', States: { Debit: { ...LEDGER.States.Debit, Next: undefined, End: true } as never, Insufficient: LEDGER.States.Insufficient } };

const SDK_PUT: AslDefinition = {
  StartAt: 'Put',
  States: {
    Put: {
      Type: 'Task',
      Resource: 'arn:aws:states:::aws-sdk:dynamodb:putItem',
      Parameters: { TableName: TABLE, Item: { pk: { 'S.$': '$.id' } }, ConditionExpression: 'attribute_not_exists(pk)' },
      Catch: [{ ErrorEquals: ['DynamoDb.ConditionalCheckFailedException'], ResultPath: '$.error', Next: 'Exists' }],
      End: true,
    },
    Exists: { Type: 'Pass', End: true },
  },
};

async function execute(machine: string, input: unknown) {
  const { executionArn } = sfn.executions.start(machineArn(machine), input);
  const result = await sfn.executions.waitFor(executionArn, { timeoutMs: 15_000 });
  return { ...result, outputValue: result.output ? JSON.parse(result.output) : undefined, events: sfn.executions.history(executionArn) };
}

beforeAll(async () => {
  // The package's own DynamoDB Local start: it waits until the jar answers, with a deadline.
  dynamoDbLocal = await startDynamoLocal();
  const endpoint = dynamoDbLocal.endpoint;
  dynamoDb = new DynamoDBClient({ endpoint, region: REGION, credentials });
  await dynamoDb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  sfn = await startLocalSfn({
    taskHandlers: { invokeLambda: async () => undefined },
    dynamoDb: { endpoint, region: REGION, credentials },
    stateMachines: [
      { arn: machineArn('Ledger'), name: 'Ledger', definition: LEDGER },
      { arn: machineArn('DebitOnly'), name: 'DebitOnly', definition: DEBIT_ONLY },
      { arn: machineArn('SdkPut'), name: 'SdkPut', definition: SDK_PUT },
    ],
  });
}, 120_000);

afterAll(async () => {
  await sfn?.stop();
  dynamoDb?.destroy();
  await dynamoDbLocal?.stop();
});

test('putItem, updateItem and getItem run against DynamoDB with AttributeValue parameters', async () => {
  const result = await execute('Ledger', { id: 'acct-1', balance: 10, amount: 3 });

  expect(result.status).toBe('SUCCEEDED');
  expect(result.outputValue).toMatchObject({ after: { balance: '7' }, read: { balance: '7' } });
  const scheduled = result.events.filter((event) => event.type === 'TaskScheduled').map((event) => event.taskScheduledEventDetails!);
  expect(scheduled.map((details) => `${details.resourceType}:${details.resource}`)).toEqual(['dynamodb:putItem', 'dynamodb:updateItem', 'dynamodb:getItem']);
});

test('a failed putItem condition is caught as DynamoDB.ConditionalCheckFailedException', async () => {
  await execute('Ledger', { id: 'acct-2', balance: 1, amount: 0 });

  const again = await execute('Ledger', { id: 'acct-2', balance: 999, amount: 0 });

  expect(enteredStates(again.events)).toEqual(['Open', 'AlreadyOpen']);
  expect(again.outputValue.error.Error).toBe('DynamoDB.ConditionalCheckFailedException');
  expect(again.outputValue.error.Cause).toContain('Error Code: ConditionalCheckFailedException');
});

test('a failed updateItem condition is caught, and the item is left unchanged', async () => {
  const result = await execute('Ledger', { id: 'acct-3', balance: 2, amount: 5 });

  expect(enteredStates(result.events)).toEqual(['Open', 'Debit', 'Insufficient']);
  expect(result.outputValue.error.Error).toBe('DynamoDB.ConditionalCheckFailedException');
  const item = await dynamoDb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'acct-3' } }, ConsistentRead: true }));
  expect(item.Item?.balance).toEqual({ N: '2' });
});

test('concurrent executions debiting one balance are serialised by the condition', async () => {
  await execute('Ledger', { id: 'acct-4', balance: 5, amount: 0 });

  const results = await Promise.all(Array.from({ length: 10 }, () => execute('DebitOnly', { id: 'acct-4', amount: 1 })));

  const debited = results.filter((result) => enteredStates(result.events).join() === 'Debit');
  const refused = results.filter((result) => enteredStates(result.events).join() === 'Debit,Insufficient');
  expect([debited.length, refused.length]).toEqual([5, 5]);
  const item = await dynamoDb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'acct-4' } }, ConsistentRead: true }));
  expect(item.Item?.balance).toEqual({ N: '0' });
});

test('aws-sdk:dynamodb integrations report errors with the DynamoDb. prefix', async () => {
  await execute('SdkPut', { id: 'sdk-1' });

  const again = await execute('SdkPut', { id: 'sdk-1' });

  expect(enteredStates(again.events)).toEqual(['Put', 'Exists']);
  expect(again.outputValue.error.Error).toBe('DynamoDb.ConditionalCheckFailedException');
});
