// The rsync daemon that stands for a site's data endpoint lives with the local runtime (local/rsyncd.ts), which starts one per site for npm start and the e2e suite.
export * from '../../local/rsyncd';
