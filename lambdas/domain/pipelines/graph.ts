// The stage graph: edges run from a stage to the stages that must wait for it. Small graphs (at
// most MAX_STAGES nodes), so plain depth-first search; every result is in declaration order, so the
// same pipeline always gives the same plan and the same error messages.

export type Edges = ReadonlyMap<string, ReadonlySet<string>>;

export class StageGraph {
  private readonly out = new Map<string, Set<string>>();

  constructor(readonly ids: readonly string[]) {
    for (const id of ids) this.out.set(id, new Set());
  }

  addEdge(from: string, to: string): void {
    this.out.get(from)?.add(to);
  }

  hasEdge(from: string, to: string): boolean {
    return this.out.get(from)?.has(to) ?? false;
  }

  successors(id: string): string[] {
    return this.ordered(this.out.get(id) ?? new Set());
  }

  predecessors(id: string): string[] {
    return this.ids.filter((p) => this.out.get(p)?.has(id));
  }

  /** Every stage reachable from `id` (not `id` itself unless on a cycle). */
  descendants(id: string): Set<string> {
    const seen = new Set<string>();
    const stack = [...(this.out.get(id) ?? [])];
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...(this.out.get(n) ?? []));
    }
    return seen;
  }

  ancestors(id: string): Set<string> {
    const seen = new Set<string>();
    const stack = this.predecessors(id);
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...this.predecessors(n));
    }
    return seen;
  }

  /** The cycles, each as a closed path [a, b, ..., a], one per strongly connected knot found first. */
  cycles(): string[][] {
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const found: string[][] = [];
    const visit = (n: string) => {
      state.set(n, 'open');
      path.push(n);
      for (const m of this.successors(n)) {
        const s = state.get(m);
        if (s === 'open') found.push([...path.slice(path.indexOf(m)), m]);
        else if (s === undefined) visit(m);
      }
      path.pop();
      state.set(n, 'done');
    };
    for (const id of this.ids) if (!state.has(id)) visit(id);
    return found;
  }

  /** Kahn's algorithm, ties broken by declaration order; undefined when there is a cycle. */
  topologicalOrder(): string[] | undefined {
    const indegree = new Map(this.ids.map((id) => [id, this.predecessors(id).length]));
    const order: string[] = [];
    const ready = this.ids.filter((id) => indegree.get(id) === 0);
    while (ready.length) {
      const n = ready.shift()!;
      order.push(n);
      for (const m of this.successors(n)) {
        const d = indegree.get(m)! - 1;
        indegree.set(m, d);
        if (d === 0) {
          ready.push(m);
          ready.sort((a, b) => this.ids.indexOf(a) - this.ids.indexOf(b));
        }
      }
    }
    return order.length === this.ids.length ? order : undefined;
  }

  private ordered(set: ReadonlySet<string>): string[] {
    return this.ids.filter((id) => set.has(id));
  }
}
