// Sample artifacts and versions for the data hub's domain tests.
import type { Artifact, ManifestFile, Version } from '../../../lambdas/domain/datahub';
import type { RenderContext } from '../../../lambdas/domain/datahub';

export const AID = 'ds-01jd3x8e0c7k9m2n4p6q8r0s2t';
export const MID = 'model-01jd3x8e0c7k9m2n4p6q8r0s2v';

export function artifact(over: Partial<Artifact> = {}): Artifact {
  return {
    id: AID,
    kind: 'dataset',
    owner: { type: 'organisation', orgId: 'org-kisti' },
    stewards: ['steward-1'],
    name: { ko: '한국어 언어 모델 학습 말뭉치', en: 'Korean language model training corpus' },
    description: { ko: '공공 데이터셋을 정제한 한국어 텍스트 말뭉치입니다.', en: 'A cleaned Korean text corpus built from public datasets.' },
    keywords: ['nlp', '말뭉치'],
    fieldOfScience: '1.2',
    licence: 'CC-BY-4.0',
    accessLevel: 'public',
    aliases: {},
    publishedVersions: ['1.0.0'],
    latestVersion: '1.0.0',
    sites: ['kisti6'],
    createdAt: '2026-03-01T00:00:00.000Z',
    createdBy: 'steward-1',
    updatedAt: '2026-03-02T00:00:00.000Z',
    ...over,
  };
}

export const FILES: ManifestFile[] = [
  { path: 'train/part-000.jsonl', bytes: 1048576, sha256: 'a'.repeat(64), mediaType: 'application/jsonl' },
  { path: 'train/part-001.jsonl', bytes: 2097152, sha256: 'b'.repeat(64), mediaType: 'application/jsonl' },
  { path: 'README.md', bytes: 2048, sha256: 'c'.repeat(64), mediaType: 'text/markdown' },
];

export function version(over: Partial<Version> = {}): Version {
  return {
    artifactId: AID,
    kind: 'dataset',
    version: '1.0.0',
    state: 'published',
    changelog: 'First release',
    derivedFrom: [{ artifactId: 'ds-01jd3x8e0c7k9m2n4p6q8r0s2w', version: '2.1.0' }],
    files: FILES.length,
    bytes: FILES.reduce((s, f) => s + f.bytes, 0),
    formats: ['application/jsonl', 'text/markdown'],
    pages: {},
    createdAt: '2026-03-01T00:00:00.000Z',
    createdBy: 'steward-1',
    publishedAt: '2026-03-05T09:00:00.000Z',
    publishedBy: 'curator-1',
    ...over,
  };
}

export const CTX: RenderContext = {
  landingUrl: (id, v) => `https://kairr.example/v1/public/datasets/${id}${v ? `/versions/${v}` : ''}`,
  // each segment encoded, as lambdas/datahub/metadata.ts does
  fileUrl: (id, v, p) => `https://kairr.example/v1/datasets/${id}/versions/${v}/files/${p.split('/').map(encodeURIComponent).join('/')}`,
  contextUrl: (name) => `https://kairr.example/v1/public/contexts/${name}`,
  publisher: { name: 'KAIRR (Korea AI Research Resource)', url: 'https://kairr.example' },
  doiPrefix: '10.5072',
};
