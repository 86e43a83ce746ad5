// Placeholder until the connector suite lands: the slurm project has no tests yet.
export default async function setup(): Promise<void> {}
