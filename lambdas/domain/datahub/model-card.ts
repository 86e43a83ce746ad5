// Hugging Face model cards: the metadata a model version carries, validated as the Hub documents
// it (docs "Model Cards", huggingface_hub ModelCardData), and rendered as README.md with YAML front
// matter. The Hub's `license` takes its own lower-case ids; an SPDX expression without one becomes
// `license: other` with `license_name` and `license_link`, as the Hub asks for other licences.
import { displayName, BASE_MODEL_RELATIONS, type Artifact, type ModelCard, type Version } from './model';
import { isLicenceRef, licenceUrl } from './licence';
import { toYaml, type FrontMatter } from './yaml';
import type { Problem } from './manifest';

/** The Hub's licence ids (docs "Licenses"), lower case. */
export const HF_LICENSES = new Set([
  'apache-2.0',
  'mit',
  'openrail',
  'bigscience-openrail-m',
  'creativeml-openrail-m',
  'bigscience-bloom-rail-1.0',
  'bigcode-openrail-m',
  'afl-3.0',
  'artistic-2.0',
  'bsl-1.0',
  'bsd',
  'bsd-2-clause',
  'bsd-3-clause',
  'bsd-3-clause-clear',
  'c-uda',
  'cc',
  'cc0-1.0',
  'cc-by-2.0',
  'cc-by-2.5',
  'cc-by-3.0',
  'cc-by-4.0',
  'cc-by-sa-3.0',
  'cc-by-sa-4.0',
  'cc-by-nc-2.0',
  'cc-by-nc-3.0',
  'cc-by-nc-4.0',
  'cc-by-nd-4.0',
  'cc-by-nc-nd-3.0',
  'cc-by-nc-nd-4.0',
  'cc-by-nc-sa-2.0',
  'cc-by-nc-sa-3.0',
  'cc-by-nc-sa-4.0',
  'cdla-sharing-1.0',
  'cdla-permissive-1.0',
  'cdla-permissive-2.0',
  'wtfpl',
  'ecl-2.0',
  'epl-1.0',
  'epl-2.0',
  'etalab-2.0',
  'eupl-1.1',
  'eupl-1.2',
  'agpl-3.0',
  'gfdl',
  'gpl',
  'gpl-2.0',
  'gpl-3.0',
  'lgpl',
  'lgpl-2.1',
  'lgpl-3.0',
  'isc',
  'lppl-1.3c',
  'ms-pl',
  'mpl-2.0',
  'odc-by',
  'odbl',
  'osl-3.0',
  'postgresql',
  'ofl-1.1',
  'ncsa',
  'unlicense',
  'zlib',
  'pddl',
]);

/** The Hub's pipeline tags (tasks), as its model listing filters them. */
export const HF_PIPELINE_TAGS = new Set([
  'text-classification',
  'token-classification',
  'table-question-answering',
  'question-answering',
  'zero-shot-classification',
  'translation',
  'summarization',
  'feature-extraction',
  'text-generation',
  'fill-mask',
  'sentence-similarity',
  'text-ranking',
  'text-to-speech',
  'text-to-audio',
  'automatic-speech-recognition',
  'audio-to-audio',
  'audio-classification',
  'voice-activity-detection',
  'depth-estimation',
  'image-classification',
  'object-detection',
  'image-segmentation',
  'text-to-image',
  'image-to-text',
  'image-to-image',
  'image-to-video',
  'unconditional-image-generation',
  'video-classification',
  'reinforcement-learning',
  'robotics',
  'tabular-classification',
  'tabular-regression',
  'tabular-to-text',
  'table-to-text',
  'multiple-choice',
  'text-retrieval',
  'time-series-forecasting',
  'text-to-video',
  'image-text-to-text',
  'visual-question-answering',
  'document-question-answering',
  'zero-shot-image-classification',
  'graph-ml',
  'mask-generation',
  'zero-shot-object-detection',
  'text-to-3d',
  'image-to-3d',
  'image-feature-extraction',
  'video-text-to-text',
  'keypoint-detection',
  'any-to-any',
  'other',
]);

const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/;
const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
/** Hub repo ids ("org/name") or KAIRR catalogue references ("kairr:<artifactId>@<version>"). */
const REPO_REF = /^([A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}|[A-Za-z0-9][A-Za-z0-9._-]{0,95}|kairr:[a-z]+-[0-9a-z]{26}@\d+\.\d+\.\d+)$/;

export function modelCardProblems(c: ModelCard, prefix = 'modelCard'): Problem[] {
  const out: Problem[] = [];
  const list = (name: keyof ModelCard, re: RegExp, what: string) =>
    ((c[name] as string[] | undefined) ?? []).forEach((x, i) => {
      if (!re.test(x)) out.push({ path: `${prefix}.${name}[${i}]`, problem: what });
    });
  list('language', LANGUAGE, 'must be an ISO 639-1 or 639-3 language code, e.g. "ko" or "en"');
  list('tags', SLUG, 'must be a tag of letters, digits, ".", "_" or "-"');
  list('metrics', SLUG, 'must be a metric id such as "accuracy" or "bleu"');
  list('base_model', REPO_REF, 'must be a Hub model id ("org/name") or a catalogue reference ("kairr:<id>@<version>")');
  list('datasets', REPO_REF, 'must be a Hub dataset id ("org/name") or a catalogue reference ("kairr:<id>@<version>")');
  if (c.library_name !== undefined && !SLUG.test(c.library_name)) out.push({ path: `${prefix}.library_name`, problem: 'must be a library id such as "transformers" or "peft"' });
  if (c.pipeline_tag !== undefined && !HF_PIPELINE_TAGS.has(c.pipeline_tag)) out.push({ path: `${prefix}.pipeline_tag`, problem: 'must be one of the Hub\'s tasks, e.g. "text-generation"' });
  if (c.base_model_relation !== undefined) {
    if (!(BASE_MODEL_RELATIONS as readonly string[]).includes(c.base_model_relation)) out.push({ path: `${prefix}.base_model_relation`, problem: `must be one of ${BASE_MODEL_RELATIONS.join(', ')}` });
    if (c.base_model.length === 0) out.push({ path: `${prefix}.base_model_relation`, problem: 'needs base_model' });
  }
  return out;
}

/** The Hub's `license` fields for an SPDX expression. */
export function hubLicense(expression: string): { license: string; license_name?: string; license_link?: string } {
  const single = /^[A-Za-z0-9.+-]+$/.test(expression) ? expression : undefined;
  if (single) {
    const lower = single
      .toLowerCase()
      .replace(/-only$/, '')
      .replace(/-or-later$|\+$/, '');
    if (HF_LICENSES.has(lower)) return { license: lower };
    if (HF_LICENSES.has(single.toLowerCase())) return { license: single.toLowerCase() };
  }
  const name =
    expression
      .toLowerCase()
      .replace(/[^a-z0-9.]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 96) || 'other';
  const link = single && !isLicenceRef(single) ? licenceUrl(single) : undefined;
  return { license: 'other', license_name: name, ...(link ? { license_link: link } : {}) };
}

export function modelCardFrontMatter(a: Artifact, v: Version): FrontMatter {
  const c = v.modelCard ?? { language: [], tags: [], base_model: [], datasets: [], metrics: [] };
  const base = c.base_model.length === 1 ? c.base_model[0] : c.base_model;
  return {
    ...hubLicense(a.licence),
    language: c.language,
    library_name: c.library_name,
    pipeline_tag: c.pipeline_tag,
    tags: c.tags,
    base_model: base.length ? base : undefined,
    base_model_relation: c.base_model_relation,
    datasets: c.datasets,
    metrics: c.metrics,
    model_name: displayName(a.name),
  };
}

/** README.md as the Hub reads it: "---" front matter "---", then Markdown. */
export function renderModelCard(a: Artifact, v: Version): string {
  const title = displayName(a.name);
  const body = [`# ${title}`, ''];
  if (a.name.ko && a.name.en) body.push(`*${a.name.ko}*`, '');
  if (a.description.en) body.push(a.description.en, '');
  if (a.description.ko) body.push(a.description.ko, '');
  if (v.modelCard?.body) body.push(v.modelCard.body, '');
  body.push(`Version ${v.version}${v.changelog ? `: ${v.changelog}` : ''}`, '');
  return `---\n${toYaml(modelCardFrontMatter(a, v))}---\n\n${body.join('\n').trimEnd()}\n`;
}
