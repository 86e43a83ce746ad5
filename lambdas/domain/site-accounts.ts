// Site accounts: which login at a site a person's jobs run as. Pure (no AWS).
//
// The login is never the requester's choice. As in ACCESS AMIE, the SITE creates the local account
// and answers with its username: KAIRR records a pending request with a proposed name when a person
// first needs a login at a site, the site's operators (or, where the site allows it, its connector)
// create the login and confirm it with the username they chose, and only then can that person's
// jobs be dispatched there. docs/security.md, "Site accounts", says why this design.
import { createHash } from 'node:crypto';
import type { Site } from './catalogue';

export const SITE_ACCOUNT_STATES = ['pending', 'active', 'disabled'] as const;
export type SiteAccountState = (typeof SITE_ACCOUNT_STATES)[number];

export interface SiteAccount {
  siteId: string;
  /** The person (the verified token subject). */
  sub: string;
  state: SiteAccountState;
  /** KAIRR's deterministic suggestion, shown to the site's operators. */
  proposedUsername: string;
  /** The login the site created (set once active; kept when disabled, so it is never given to anyone else). */
  username?: string;
  requestedAt: string;
  /** The allocation whose membership first needed the account. */
  requestedFor?: string;
  confirmedAt?: string;
  /** Who confirmed it: an operator's sub, `system:connector-<site>`, or `system:migration`. */
  confirmedBy?: string;
  origin?: 'operator' | 'connector' | 'migration';
  disabledAt?: string;
  disabledReason?: string;
  /** Why a migration left the account pending (a name that cannot be trusted as it was typed). */
  note?: string;
  updatedAt: string;
}

/**
 * Names that are never a researcher's login, at any site: the superuser, Debian's system accounts,
 * and the daemons a Slurm site runs (the scheduler, its REST daemon, munge, the accounting
 * database). A site adds its own with `accounts.denyUsernames`; its SlurmUser is added too.
 */
export const BUILTIN_DENIED_USERNAMES = [
  'root',
  'daemon',
  'bin',
  'sys',
  'sync',
  'games',
  'man',
  'lp',
  'mail',
  'news',
  'uucp',
  'proxy',
  'www-data',
  'backup',
  'list',
  'irc',
  'gnats',
  'nobody',
  'nogroup',
  '_apt',
  'messagebus',
  'sshd',
  'systemd-network',
  'systemd-resolve',
  'systemd-timesync',
  'systemd-coredump',
  'polkitd',
  'tss',
  'adm',
  'operator',
  'admin',
  'administrator',
  'toor',
  'slurm',
  'slurmrest',
  'slurmrestd',
  'slurmdbd',
  'munge',
  'mysql',
  'mariadb',
  'postgres',
  'ldap',
  'nslcd',
  'sssd',
  'ntp',
  'chrony',
  'postfix',
  'dnsmasq',
  'statd',
  'rpc',
  'nfsnobody',
  'kairr',
] as const;

export interface UsernamePolicy {
  pattern: RegExp;
  denied: ReadonlySet<string>;
}

export function usernamePolicy(site: Pick<Site, 'accounts'>): UsernamePolicy {
  const a = site.accounts;
  const pattern = new RegExp(a.usernamePattern.startsWith('^') ? a.usernamePattern : `^(?:${a.usernamePattern})$`);
  const denied = new Set<string>([...BUILTIN_DENIED_USERNAMES, ...a.denyUsernames.map((n) => n.toLowerCase()), a.slurmUser.toLowerCase()]);
  return { pattern, denied };
}

/** Why a login cannot be a researcher's at this site, or undefined when it can. */
export function usernameProblem(site: Pick<Site, 'id' | 'accounts'>, username: string): { code: 'username_denied' | 'username_pattern'; problem: string } | undefined {
  const p = usernamePolicy(site);
  if (p.denied.has(username.toLowerCase())) return { code: 'username_denied', problem: `"${username}" is a system or service account at ${site.id}, never a researcher's login` };
  if (!p.pattern.test(username)) return { code: 'username_pattern', problem: `"${username}" does not match ${site.id}'s login pattern ${site.accounts.usernamePattern}` };
  return undefined;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32 of the bytes, lower-case, no padding. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/**
 * The login KAIRR proposes for a person: the site's prefix plus the first 10 base32 characters
 * (50 bits) of SHA-256 of the subject, e.g. "kq3m7c2x9ab". The same person gets the same proposal
 * everywhere, it reveals nothing about them, and it cannot be steered to an existing name. A
 * collision is caught by the username guard when the site confirms.
 */
export function proposedUsername(sub: string, prefix = 'k'): string {
  return `${prefix}${base32(createHash('sha256').update(`kairr-site-account\u0000${sub}`).digest()).slice(0, 10)}`;
}

/** The audit subject id of a site account (one chain per person and site). */
export function siteAccountSubject(siteId: string, sub: string): { type: string; id: string } {
  return { type: 'site-account', id: `${siteId}#${sub}` };
}
