// A version's lineage as the catalogue shows it: its ancestors (what it was made from, and by which
// jobs at which site) and its descendants (what was made from it), from the lineage capability's
// graph. The graph holds every version a run named, so the answer is filtered for the viewer: a
// catalogue version they may not read is kept as an opaque node (the shape of the graph stays
// true, and nothing about that version leaks: neither its id nor whether it exists by name).
import { canReadVersion, type Viewer } from '../domain/datahub/access';
import type { ArtifactKind } from '../domain/datahub/model';
import { queryLineage, versionNodeId, type Direction, type LineageNode } from '../lineage/index';
import { readAnyArtifact, readVersion } from './store';
import { getVersion } from './versions';

export type LineageDirection = Direction | 'both';

export interface ShownNode {
  id: string;
  kind: LineageNode['kind'];
  level: number;
  direction: Direction | 'start';
  namespace?: string;
  name?: string;
  site?: string;
  version?: { artifact: string; version: string };
  /** A catalogue version the viewer may not read. */
  hidden?: true;
}

export interface VersionLineage {
  artifactId: string;
  version: string;
  direction: LineageDirection;
  depth: number;
  nodes: ShownNode[];
  /** In data-flow direction: from is upstream of to. */
  edges: { from: string; to: string }[];
  /** DynamoDB requests and round trips the query cost, per direction and level. */
  cost: { direction: Direction; level: number; frontier: number; requests: number; roundTrips: number }[];
}

/** Which catalogue versions, among those given, the viewer may read (one read per artifact and version). */
async function readable(versions: { artifact: string; version: string }[], viewer: Viewer): Promise<Set<string>> {
  const ids = [...new Set(versions.map((v) => v.artifact))];
  const artifacts = new Map(await Promise.all(ids.map(async (id) => [id, await readAnyArtifact(id)] as const)));
  const out = new Set<string>();
  await Promise.all(
    versions.map(async (v) => {
      const a = artifacts.get(v.artifact);
      if (!a) return;
      const ver = await readVersion(v.artifact, v.version);
      if (ver && canReadVersion(a, ver.version.state, viewer)) out.add(`${v.artifact}@${v.version}`);
    }),
  );
  return out;
}

export async function versionLineage(kind: ArtifactKind, id: string, name: string, viewer: Viewer, direction: LineageDirection, depth: number): Promise<VersionLineage> {
  const { version } = await getVersion(kind, id, name, viewer); // 404 unless the viewer may read it
  const start = versionNodeId(id, version.version);
  const dirs: Direction[] = direction === 'both' ? ['up', 'down'] : [direction];
  const answers = await Promise.all(dirs.map(async (d) => ({ d, a: await queryLineage(start, d, depth) })));
  const found = new Map<string, ShownNode>();
  const edges = new Map<string, { from: string; to: string }>();
  const cost: VersionLineage['cost'] = [];
  for (const { d, a } of answers) {
    for (const n of a.nodes) if (!found.has(n.id)) found.set(n.id, { ...n, direction: n.id === start ? 'start' : d });
    for (const e of a.edges) edges.set(`${e.from}\n${e.to}`, { from: e.from, to: e.to });
    cost.push(...a.cost.map((c) => ({ direction: d, ...c })));
  }
  const others = [...found.values()].filter((n) => n.version && n.id !== start).map((n) => n.version!);
  const ok = await readable(others, viewer);
  // Opaque ids for hidden versions, numbered in a stable order so that edges still connect.
  const rename = new Map<string, string>();
  const sorted = [...found.values()].sort((x, y) => x.level - y.level || x.id.localeCompare(y.id));
  const nodes = sorted.map((n): ShownNode => {
    if (!n.version || n.id === start || ok.has(`${n.version.artifact}@${n.version.version}`)) return n;
    const hid = `hidden:${rename.size + 1}`;
    rename.set(n.id, hid);
    return { id: hid, kind: n.kind, level: n.level, direction: n.direction, hidden: true };
  });
  const as = (x: string) => rename.get(x) ?? x;
  return {
    artifactId: id,
    version: version.version,
    direction,
    depth,
    nodes,
    edges: [...edges.values()].map((e) => ({ from: as(e.from), to: as(e.to) })).sort((x, y) => x.from.localeCompare(y.from) || x.to.localeCompare(y.to)),
    cost,
  };
}

/**
 * The catalogue versions two edges away in the graph (made from this version by one run, or this
 * version made from them), readable by the public: DataCite's IsDerivedFrom and IsSourceOf.
 */
export async function relatedVersions(id: string, version: string, public_: Viewer): Promise<{ derivedFrom: { artifactId: string; version: string }[]; sourceOf: { artifactId: string; version: string }[] }> {
  const start = versionNodeId(id, version);
  const [up, down] = await Promise.all([queryLineage(start, 'up', 2), queryLineage(start, 'down', 2)]);
  const versionsOf = (a: typeof up) => a.nodes.filter((n) => n.version && n.id !== start && n.level === 2).map((n) => n.version!);
  const ups = versionsOf(up);
  const downs = versionsOf(down);
  const ok = await readable([...ups, ...downs], public_);
  const keep = (xs: { artifact: string; version: string }[]) => xs.filter((v) => ok.has(`${v.artifact}@${v.version}`)).map((v) => ({ artifactId: v.artifact, version: v.version }));
  return { derivedFrom: keep(ups), sourceOf: keep(downs) };
}
