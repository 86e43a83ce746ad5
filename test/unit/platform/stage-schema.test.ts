// config/stage.schema.json (every stage file's $schema) is generated from the zod schema synth
// uses (scripts/stage-schema.ts). This fails when the file is stale, and checks that the JSON
// Schema accepts the stage files synth accepts and refuses what synth refuses.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { stageSchemaText, STAGE_SCHEMA_FILE } from '../../../scripts/stage-schema';
import { parseStageConfig } from '../../../lib/config/load';

const CONFIG_DIR = join(__dirname, '..', '..', '..', 'config');
const stageFiles = readdirSync(CONFIG_DIR).filter((f) => f.endsWith('.json') && f !== 'stage.schema.json');
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(STAGE_SCHEMA_FILE, 'utf8')));
const read = (f: string) => JSON.parse(readFileSync(join(CONFIG_DIR, f), 'utf8')) as Record<string, unknown>;

test('config/stage.schema.json is what the zod schema generates (else: npm run config:schema)', () => {
  expect(readFileSync(STAGE_SCHEMA_FILE, 'utf8')).toBe(stageSchemaText());
});

test.each(stageFiles)('%s names the schema and is valid by it, as synth finds it valid', (file) => {
  const cfg = read(file);

  expect(cfg.$schema).toBe('./stage.schema.json');
  expect({ valid: validate(cfg), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  expect(() => parseStageConfig(cfg, file)).not.toThrow();
});

test.each([
  ['an unknown top-level field', (c: Record<string, unknown>) => ({ ...c, colour: 'blue' })],
  ['an upper-case stage name', (c: Record<string, unknown>) => ({ ...c, stage: 'Local' })],
  ['no sites', (c: Record<string, unknown>) => ({ ...c, sites: [] })],
  ['an alarm e-mail that is not one', (c: Record<string, unknown>) => ({ ...c, alarmEmail: 'ops' })],
])('%s is refused by the JSON Schema and by synth alike', (_name, change) => {
  const bad = change(read('local.json'));

  expect(validate(bad)).toBe(false);
  expect(() => parseStageConfig(bad, 'bad.json')).toThrow(/Invalid stage configuration/);
});
