// The data hub's domain (pure): the catalogue model, licences, manifests, the lifecycle, access
// rules, model cards, the search index's terms and evaluation, and the metadata renderers.
export * from './model';
export * from './licence';
export * from './fields';
export * from './org';
export * from './manifest';
export * from './access';
export * from './lifecycle';
export * from './application';
export * from './permit';
export * from './model-card';
export * from './yaml';
export * from './search/tokenize';
export * from './search/terms';
export * from './search/evaluate';
export * from './render/context';
export * from './render/croissant';
export * from './render/datacite';
export * from './render/dcat';
export * from './render/dcat-context';
