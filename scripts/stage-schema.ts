// config/stage.schema.json, generated from the zod schema that synth validates stage files with
// (lib/config/schema.ts), so editors check a stage file as synth will: `npm run config:schema`
// writes it; `--check` exits 1 when the file on disk is not what the schema gives (a unit test
// runs the same comparison).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { StageConfigSchema } from '../lib/config/schema';

export const STAGE_SCHEMA_FILE = join(__dirname, '..', 'config', 'stage.schema.json');

/** The JSON Schema text (input side: fields with defaults may be left out), as the file holds it. */
export function stageSchemaText(): string {
  const schema = z.toJSONSchema(StageConfigSchema, { io: 'input', target: 'draft-2020-12' });
  const doc = {
    $schema: schema.$schema,
    title: 'KAIRR stage configuration',
    description: 'One file per stage in config/, chosen with `cdk synth -c stage=NAME`. Generated from lib/config/schema.ts by `npm run config:schema`: do not edit by hand.',
    ...schema,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (require.main === module) {
  const text = stageSchemaText();
  if (process.argv.includes('--check')) {
    const current = (() => {
      try {
        return readFileSync(STAGE_SCHEMA_FILE, 'utf8');
      } catch {
        return '';
      }
    })();
    if (current !== text) {
      console.error(`${STAGE_SCHEMA_FILE} is stale: run npm run config:schema`);
      process.exit(1);
    }
    console.log(`${STAGE_SCHEMA_FILE} is up to date`);
  } else {
    writeFileSync(STAGE_SCHEMA_FILE, text);
    console.log(`wrote ${STAGE_SCHEMA_FILE}`);
  }
}
