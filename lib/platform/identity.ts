// Who the authorizer trusts: the stage's issuers (the national identity federation's broker,
// Keycloak, ...; lib/config/identity.ts). Optionally the stack creates a Cognito user pool with one
// group per role and trusts it as one more issuer ("cognito"). Cognito is optional so that the same
// app deploys to LocalStack community.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/schema';
import { ROLES } from '../../lambdas/shared/http/spec';
import { issuersOf, publicClientsOf, signInOf, type PublicClients } from '../config/identity';
import type { SignInConfig } from '../../lambdas/platform/api';
import type { TrustedIssuer } from '../../lambdas/domain/identity/issuers';

export interface IdentityProps {
  config: StageConfig['identity'];
  stage: string;
}

export class Identity extends Construct {
  /** Every issuer the authorizer trusts (URLs may be CloudFormation tokens: the Cognito pool's). */
  readonly issuers: TrustedIssuer[];
  readonly userPool?: cognito.UserPool;
  /** The public OAuth clients of each issuer, by issuer id (the config's, and the Cognito pool's portal client). */
  private readonly clients: Record<string, PublicClients>;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    const c = props.config;
    this.issuers = issuersOf(c);
    this.clients = publicClientsOf(c);
    if (!c.cognitoUserPool?.enabled) return;
    const pool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { sms: false, otp: true },
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    for (const role of ROLES) new cognito.CfnUserPoolGroup(this, `Group-${role}`, { userPoolId: pool.userPoolId, groupName: role, description: `KAIRR ${role}` });
    const client = pool.addClient('Portal', {
      authFlows: { userSrp: true },
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      preventUserExistenceErrors: true,
    });
    if (c.cognitoUserPool.domainPrefix) pool.addDomain('Domain', { cognitoDomain: { domainPrefix: c.cognitoUserPool.domainPrefix } });
    this.userPool = pool;
    const issuerUrl = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${pool.userPoolId}`;
    // Cognito ID tokens carry the client id as "aud" and the groups as "cognito:groups"; the pool's
    // groups are KAIRR's roles (made above), and Cognito verifies e-mail addresses itself.
    this.issuers.push({
      id: 'cognito',
      issuerUrl,
      audience: [client.userPoolClientId],
      jwksUri: `${issuerUrl}/.well-known/jwks.json`,
      subjectPrefix: c.issuers ? 'cognito:' : '',
      claims: {
        subject: 'sub',
        email: 'email',
        emailVerified: 'email_verified',
        name: 'name',
        username: 'cognito:username',
        groups: 'cognito:groups',
        homeOrganization: 'schac_home_organization',
        scopedAffiliation: 'eduperson_scoped_affiliation',
      },
      affiliation: ['email'],
      requireEmailVerified: true,
      roles: { groupNames: true, groupMap: {}, default: [] },
      jwksTtlSeconds: 600,
    });
    // The pool's app client is public (no secret): the portal's. Cognito revokes refresh tokens at /oauth2/revoke.
    this.clients.cognito = { portal: client.userPoolClientId };
    // The single-issuer form with a pool trusts the pool instead of its issuerUrl (as it always did).
    if (!c.issuers) this.issuers.splice(0, 1);
  }

  /** What GET /v1/auth/config answers: how a client signs in to this stage (lambdas/platform/api.ts SignInConfig). */
  get signIn(): SignInConfig {
    return signInOf(this.issuers, this.clients);
  }
}
