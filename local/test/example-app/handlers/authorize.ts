// The example app's TOKEN authorizer: a Bearer JWT from its issuer, verified against the issuer's
// keys (JWKS_URI), becomes an Allow policy with the subject in the context.
import { JwtRsaVerifier } from 'aws-jwt-verify';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';

// aws-jwt-verify's own fetcher speaks HTTPS only; the dev issuer is plain HTTP on 127.0.0.1.
const fetcher = { fetch: async (uri: string) => (await fetch(uri)).arrayBuffer() };
const verifier = JwtRsaVerifier.create({ issuer: process.env.ISSUER!, audience: process.env.AUDIENCE!, jwksUri: process.env.JWKS_URI! }, { jwksCache: new SimpleJwksCache({ fetcher }) });

export const handler = async (event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> => {
  const token = event.authorizationToken.replace(/^Bearer /, '');
  try {
    const claims = await verifier.verify(token);
    return { principalId: String(claims.sub), policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }] }, context: { sub: String(claims.sub) } };
  } catch {
    throw new Error('Unauthorized');
  }
};
