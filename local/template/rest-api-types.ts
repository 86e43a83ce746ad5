// The route, mock, authorizer and gateway-response shapes that both readers of a REST API produce
// (rest-api.ts from Resource and Method resources, rest-api-body.ts from an OpenAPI body).

export interface RouteDef {
  method: string;
  path: string;
  functionLogicalId: string;
  /** The Authorizer resource's logical id, or for a body-defined API its security scheme's name. */
  authorizerLogicalId?: string;
  requiredParams: string[];
  operationName?: string;
}

export interface MockRouteDef {
  method: string;
  path: string;
  statusCode: number;
  headers: Record<string, string>;
  /** The integration response's application/json template, served as it is (no VTL). */
  body?: string;
}

export interface AuthorizerDef {
  logicalId: string;
  type: string;
  functionLogicalId: string;
  identityHeader: string;
  validationRegex?: string;
  ttlSeconds: number;
}

export interface GatewayResponseDef {
  type: string;
  statusCode?: number;
  template?: string;
  headers: Record<string, string>;
}
