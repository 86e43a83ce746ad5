// The lineage graph KAIRR keeps from run events: jobs and datasets as nodes, data flow as edges
// (dataset → job it was read by, job → dataset it wrote). A physical copy that names its catalogue
// version (Symlinks facet) is stored AS that version: copies at spc and at kisti6 are one node, so
// a question about a version is answered across sites. A copy without a version (a stage's output
// before it is registered) is a node of its own, at its site.
//
// Which events make which edges: inputs on every event (a failed analysis still read the data);
// outputs only on COMPLETE (a failed run's outputs are not data anyone should build on).
import { CATALOGUE_NAMESPACE, SYMLINK_TYPE, versionDataset, type OlDataset, type RunEvent } from './events';

export type NodeKind = 'job' | 'dataset';
export type Direction = 'up' | 'down';

export interface LineageNode {
  id: string;
  kind: NodeKind;
  namespace: string;
  name: string;
  /** The site, for a job (slurm://<site>) or a physical copy (file://<site>). */
  site?: string;
  /** A catalogue version (kairr://catalogue). */
  version?: { artifact: string; version: string };
}

export function nodeId(kind: NodeKind, namespace: string, name: string): string {
  return `${kind === 'job' ? 'job' : 'ds'}:${namespace}/${name}`;
}

export function versionNodeId(artifact: string, version: string): string {
  const v = versionDataset(artifact, version);
  return nodeId('dataset', v.namespace, v.name);
}

export function jobNodeId(namespace: string, name: string): string {
  return nodeId('job', namespace, name);
}

/** Node ids carry all a node's description, so a query never reads a node only to describe it. */
export function parseNodeId(id: string): LineageNode {
  const kind: NodeKind = id.startsWith('job:') ? 'job' : 'dataset';
  const rest = id.slice(id.indexOf(':') + 1);
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/]*)\/(.*)$/s.exec(rest);
  const namespace = m ? m[1] : rest.slice(0, rest.indexOf('/'));
  const name = m ? m[2] : rest.slice(rest.indexOf('/') + 1);
  const node: LineageNode = { id, kind, namespace, name };
  const site = /^(?:slurm|file):\/\/([^/]+)$/.exec(namespace)?.[1];
  if (site) node.site = site;
  if (namespace === CATALOGUE_NAMESPACE && kind === 'dataset') {
    const at = name.lastIndexOf('@');
    if (at > 0) node.version = { artifact: name.slice(0, at), version: name.slice(at + 1) };
  }
  return node;
}

/** The node a dataset of an event stands for: its catalogue version when it names one. */
export function datasetNodeId(d: OlDataset): string {
  const ids = (d.facets?.symlinks?.identifiers as { namespace: string; name: string; type: string }[] | undefined) ?? [];
  const version = ids.find((i) => i.type === SYMLINK_TYPE && i.namespace === CATALOGUE_NAMESPACE);
  return version ? nodeId('dataset', version.namespace, version.name) : nodeId('dataset', d.namespace, d.name);
}

export interface Edge {
  from: string;
  to: string;
}

export function edgesOf(event: RunEvent): Edge[] {
  const job = jobNodeId(event.job.namespace, event.job.name);
  const edges = new Map<string, Edge>();
  const add = (from: string, to: string) => {
    if (from !== to) edges.set(`${from}\u0000${to}`, { from, to });
  };
  for (const d of event.inputs) add(datasetNodeId(d), job);
  if (event.eventType === 'COMPLETE') for (const d of event.outputs) add(job, datasetNodeId(d));
  return [...edges.values()];
}

/** What a query reads of a frontier: each node's neighbours in the asked direction. */
export type FetchNeighbours = (ids: string[], direction: Direction) => Promise<Map<string, string[]>>;

export interface LineageAnswer {
  start: LineageNode;
  direction: Direction;
  depth: number;
  /** Every node found (the start included), with the level it was first reached at. */
  nodes: (LineageNode & { level: number })[];
  /** In data-flow direction (from is upstream of to). */
  edges: Edge[];
  /** Per level: how many nodes were read. */
  levels: { level: number; frontier: number }[];
}

/**
 * Breadth first, one level at a time: the whole frontier is read at once (the store batches it),
 * so a level costs a bounded number of round trips however wide it is. Depth counts edges:
 * a dataset, the job that wrote it and that job's inputs are two levels apart.
 */
export async function traverse(start: string, direction: Direction, depth: number, fetch: FetchNeighbours): Promise<LineageAnswer> {
  const level = new Map<string, number>([[start, 0]]);
  const edges: Edge[] = [];
  const levels: LineageAnswer['levels'] = [];
  let frontier = [start];
  for (let d = 1; d <= depth && frontier.length; d++) {
    levels.push({ level: d, frontier: frontier.length });
    const found = await fetch(frontier, direction);
    const next: string[] = [];
    for (const id of frontier) {
      for (const n of found.get(id) ?? []) {
        edges.push(direction === 'up' ? { from: n, to: id } : { from: id, to: n });
        if (!level.has(n)) {
          level.set(n, d);
          next.push(n);
        }
      }
    }
    frontier = next;
  }
  return {
    start: parseNodeId(start),
    direction,
    depth,
    nodes: [...level].map(([id, l]) => ({ ...parseNodeId(id), level: l })),
    edges,
    levels,
  };
}
