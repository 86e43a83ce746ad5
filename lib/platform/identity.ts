// Who the authorizer trusts. By default the stage's OIDC issuer (the national identity federation,
// Keycloak, ...). Optionally the stack creates a Cognito user pool with one group per role and
// trusts that instead. Cognito is optional so that the same app deploys to LocalStack community.
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/schema';
import { ROLES } from '../../lambdas/shared/http/spec';

export interface IdentityProps {
  config: StageConfig['identity'];
  stage: string;
}

export class Identity extends Construct {
  readonly issuerUrl: string;
  readonly audience: string;
  readonly groupsClaim: string;
  readonly jwksUri?: string;
  readonly userPool?: cognito.UserPool;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    const c = props.config;
    if (!c.cognitoUserPool?.enabled) {
      this.issuerUrl = c.issuerUrl;
      this.audience = c.audience;
      this.groupsClaim = c.groupsClaim;
      this.jwksUri = c.jwksUri;
      return;
    }
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
    this.issuerUrl = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${pool.userPoolId}`;
    // Cognito ID tokens carry the client id as "aud" and the groups as "cognito:groups".
    this.audience = client.userPoolClientId;
    this.groupsClaim = 'cognito:groups';
    this.jwksUri = `${this.issuerUrl}/.well-known/jwks.json`;
  }
}
