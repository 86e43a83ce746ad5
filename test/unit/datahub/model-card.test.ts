// Hugging Face model cards: validation and README.md rendering, parsed back as YAML the way the
// Hub's tools read front matter.
import { parse } from 'yaml';
import { hubLicense, modelCardProblems, renderModelCard, toYaml } from '../../../lambdas/domain/datahub';
import { artifact, MID, version } from './fixtures';

const card = {
  language: ['ko', 'en'],
  library_name: 'transformers',
  pipeline_tag: 'text-generation',
  tags: ['korean', 'llm'],
  base_model: ['meta-llama/Llama-3.1-8B'],
  base_model_relation: 'finetune' as const,
  datasets: [`kairr:ds-01jd3x8e0c7k9m2n4p6q8r0s2t@1.0.0`],
  metrics: ['accuracy'],
  body: '## Usage\n\nLoad it with `transformers`.',
};

function frontMatter(md: string): Record<string, unknown> {
  const m = /^---\n([\s\S]*?)\n---\n/.exec(md);
  if (!m) throw new Error('no front matter');
  return parse(m[1]);
}

describe('model cards', () => {
  it('renders README.md with front matter the Hub reads', () => {
    const md = renderModelCard(artifact({ id: MID, kind: 'model', licence: 'Apache-2.0' }), version({ artifactId: MID, kind: 'model', modelCard: card }));
    expect(frontMatter(md)).toEqual({
      license: 'apache-2.0',
      language: ['ko', 'en'],
      library_name: 'transformers',
      pipeline_tag: 'text-generation',
      tags: ['korean', 'llm'],
      base_model: 'meta-llama/Llama-3.1-8B',
      base_model_relation: 'finetune',
      datasets: ['kairr:ds-01jd3x8e0c7k9m2n4p6q8r0s2t@1.0.0'],
      metrics: ['accuracy'],
      model_name: 'Korean language model training corpus',
    });
    expect(md).toContain('\n# Korean language model training corpus\n');
    expect(md).toContain('## Usage');
  });

  it('an SPDX expression the Hub has no id for becomes license: other with a name and link', () => {
    expect(hubLicense('GPL-3.0-only')).toEqual({ license: 'gpl-3.0' });
    expect(hubLicense('MIT OR Apache-2.0')).toEqual({ license: 'other', license_name: 'mit-or-apache-2.0' });
    expect(hubLicense('BSD-4-Clause')).toEqual({ license: 'other', license_name: 'bsd-4-clause', license_link: 'https://spdx.org/licenses/BSD-4-Clause.html' });
  });

  it('quotes every string, so values cannot become numbers, booleans or markers', () => {
    const y = toYaml({ a: 'yes', b: '1.0', c: '---', d: 'line\nbreak', e: ['no', 'null'], f: 3 });
    expect(parse(y)).toEqual({ a: 'yes', b: '1.0', c: '---', d: 'line\nbreak', e: ['no', 'null'], f: 3 });
    expect(() => toYaml({ 'bad key': 'x' })).toThrow(/plain identifier/);
  });

  it('names each bad field', () => {
    expect(modelCardProblems({ ...card, language: ['korean'], pipeline_tag: 'chat', base_model: [], base_model_relation: 'distill' as never, datasets: ['../x'] })).toEqual([
      { path: 'modelCard.language[0]', problem: expect.stringContaining('ISO 639') },
      { path: 'modelCard.datasets[0]', problem: expect.stringContaining('Hub dataset id') },
      { path: 'modelCard.pipeline_tag', problem: expect.stringContaining("Hub's tasks") },
      { path: 'modelCard.base_model_relation', problem: expect.stringContaining('finetune, adapter, quantized, merge') },
      { path: 'modelCard.base_model_relation', problem: 'needs base_model' },
    ]);
    expect(modelCardProblems(card)).toEqual([]);
  });
});
