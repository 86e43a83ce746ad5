// The example app's one function: a note from the table, the greeting from Secrets Manager, and
// the caller's subject from the authorizer, and the route's path template (event.resource).
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

const ddb = new DynamoDBClient({});
const secrets = new SecretsManagerClient({});

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const id = event.pathParameters?.id ?? '';
  const item = await ddb.send(new GetItemCommand({ TableName: process.env.TABLE_NAME, Key: { id: { S: id } } }));
  if (!item.Item) return { statusCode: 404, body: JSON.stringify({ error: `no note ${id}` }) };
  const greeting = await secrets.send(new GetSecretValueCommand({ SecretId: process.env.SECRET_ID }));
  const body = { id, text: item.Item.text?.S, greeting: greeting.SecretString, caller: event.requestContext.authorizer?.sub, resource: event.resource };
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
};
