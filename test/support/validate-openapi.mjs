// Validates an OpenAPI document read from stdin with @seriousme/openapi-schema-validator (an ES
// module, hence a separate process from jest's CommonJS). Prints {"valid":..., "errors":...}.
import { Validator } from '@seriousme/openapi-schema-validator';

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const validator = new Validator();
const result = await validator.validate(JSON.parse(input));
process.stdout.write(JSON.stringify({ ...result, version: validator.version }));
