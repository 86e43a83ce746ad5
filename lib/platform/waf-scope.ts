// Scoping the WAF's Common Rule Set so that real work passes. Its SizeRestrictions_BODY rule blocks
// every body over 8 KB, which a 64 KB job script, a 500-report usage batch, a full proposal or a
// call with its reviewer pool all exceed; its body rules (cross-site scripting, local and remote
// file inclusion, metadata SSRF) match what shell scripts are made of (`../`, `/etc/`, `<`,
// `http://169.254.169.254`). Those rules are set to count inside the group, and two rules after it
// block on their labels everywhere except the routes that need them: so the rest of the API stays
// protected exactly as before. Those routes validate their bodies themselves (strict zod schemas,
// maxJobScriptBytes, at most 500 reports), and a job script runs at the site as its member, never
// in a browser. The paths allow an optional stage prefix (/<stage>/v1/...: the execute-api URL).
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';

const LABEL = 'awswaf:managed:aws:core-rule-set:';
const SIZE_LABEL = `${LABEL}SizeRestrictions_Body`;
/** The Common Rule Set's rules that inspect the body, and the labels they add. */
const BODY_RULES: Record<string, string> = {
  SizeRestrictions_BODY: SIZE_LABEL,
  CrossSiteScripting_BODY: `${LABEL}CrossSiteScripting_Body`,
  GenericLFI_BODY: `${LABEL}GenericLFI_Body`,
  GenericRFI_BODY: `${LABEL}GenericRFI_Body`,
  EC2MetaDataSSRF_BODY: `${LABEL}EC2MetaDataSSRF_Body`,
};
export const COUNTED_BODY_RULES = Object.keys(BODY_RULES);

export interface ScopedRoute {
  method: 'POST' | 'PATCH';
  /** API Gateway resource path ({param} = one segment). */
  path: string;
  why: string;
}

/** Routes whose legitimate bodies exceed 8 KB. */
export const BULK_ROUTES: ScopedRoute[] = [
  { method: 'POST', path: '/v1/allocations/{id}/jobs', why: 'a job script of up to policy.maxJobScriptBytes (64 KB)' },
  { method: 'POST', path: '/v1/sites/{siteId}/usage', why: 'a batch of up to 500 usage reports' },
  { method: 'POST', path: '/v1/proposals', why: 'a full proposal (abstract 5,000 and justification 10,000 characters, a team of 50)' },
  { method: 'PATCH', path: '/v1/proposals/{id}', why: 'a full proposal' },
  { method: 'POST', path: '/v1/calls', why: 'a call with a reviewer pool of up to 500' },
  { method: 'PATCH', path: '/v1/calls/{callId}', why: 'a call with a reviewer pool of up to 500' },
  { method: 'POST', path: '/v1/calls/{callId}/award-plan', why: 'an award plan for named proposals' },
];

/** Routes whose bodies are scripts: the body rules would block ordinary shell. */
export const SCRIPT_ROUTES: ScopedRoute[] = [{ method: 'POST', path: '/v1/allocations/{id}/jobs', why: 'a batch script' }];

/** The WAF regex of a route's URI path, with an optional stage prefix. */
export function pathRegex(path: string): string {
  return `^(/[A-Za-z0-9_-]+)?${path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`;
}

const NONE = [{ priority: 0, type: 'NONE' }];

function routeStatement(r: ScopedRoute): wafv2.CfnWebACL.StatementProperty {
  return {
    andStatement: {
      statements: [
        { byteMatchStatement: { fieldToMatch: { method: {} }, positionalConstraint: 'EXACTLY', searchString: r.method, textTransformations: NONE } },
        { regexMatchStatement: { fieldToMatch: { uriPath: {} }, regexString: pathRegex(r.path), textTransformations: NONE } },
      ],
    },
  };
}

const anyOf = (xs: wafv2.CfnWebACL.StatementProperty[]): wafv2.CfnWebACL.StatementProperty => (xs.length === 1 ? xs[0] : { orStatement: { statements: xs } });
const label = (key: string): wafv2.CfnWebACL.StatementProperty => ({ labelMatchStatement: { scope: 'LABEL', key } });

/** Blocks a body over 8 KB (the group's label) unless it is one of the bulk routes. */
export function bodySizeOutsideBulkRoutes(): wafv2.CfnWebACL.StatementProperty {
  return { andStatement: { statements: [label(SIZE_LABEL), { notStatement: { statement: anyOf(BULK_ROUTES.map(routeStatement)) } }] } };
}

/** Blocks what the group's body rules matched unless it is a job script. */
export function bodyRulesOutsideScriptRoutes(): wafv2.CfnWebACL.StatementProperty {
  const labels = Object.values(BODY_RULES)
    .filter((l) => l !== SIZE_LABEL)
    .map(label);
  return { andStatement: { statements: [anyOf(labels), { notStatement: { statement: anyOf(SCRIPT_ROUTES.map(routeStatement)) } }] } };
}
