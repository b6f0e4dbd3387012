import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import {
  compareDiscovery,
  DiscoveryComparison,
  DnsAnswer,
  normalizeAddress,
  selfAddressIn,
} from './cluster-view.js';
import { DnsResolver } from './dns-resolver.js';
import { PresenceService } from './presence.service.js';

/** DNS codes that mean "no records of this family", not a failure. */
const NO_RECORDS = new Set(['ENODATA', 'ENOTFOUND']);

export interface DiscoveryStatus extends Partial<DiscoveryComparison> {
  query: string;
  checkedAt?: string;
  resolvedAt?: string;
  /** DNS or presence could not be read at the last poll. */
  error?: string;
  /** Something to look at: peers missing or unexpected, or the comparison impossible. Never a failure. */
  warning: boolean;
}

/**
 * With DNS_CLUSTER_QUERY set, resolves it (A and AAAA) every CLUSTER_POLL_INTERVAL and compares the peers
 * DNS lists with the nodes that heartbeat: a peer in DNS that does not heartbeat, or a heartbeating node DNS
 * does not list, hints at a partition (or a wrong REDIS_URL/REDIS_PREFIX). Nodes never need DNS to work
 * together (Redis presence and PostgreSQL do that), so this only reports.
 */
@Injectable()
export class DnsDiscovery implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Discovery');
  private timer?: NodeJS.Timeout;
  private answer?: DnsAnswer;
  private last?: DiscoveryStatus;
  private polling?: Promise<DiscoveryStatus | undefined>;
  private lastWarning = '';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly resolver: DnsResolver,
    private readonly presence: PresenceService,
  ) {}

  get enabled(): boolean {
    return this.config.cluster.dnsQuery !== undefined;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    // Not awaited: readiness never waits for DNS.
    const poll = () =>
      void this.poll().catch((e: Error) => this.logger.warn(`cluster discovery failed: ${e.message}`));
    poll();
    this.timer = setInterval(() => {
      if (!this.polling) poll();
    }, this.config.cluster.pollIntervalMs);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The last DNS answer (for GET /cluster, which compares it with the heartbeats it reads itself). */
  dnsAnswer(): DnsAnswer | undefined {
    if (!this.enabled) return undefined;
    return this.answer ?? { query: this.config.cluster.dnsQuery!, addresses: [] };
  }

  /** The comparison of the last poll, without I/O: what /health/deep reports. */
  status(): DiscoveryStatus | undefined {
    if (!this.enabled) return undefined;
    return this.last ?? { query: this.config.cluster.dnsQuery!, warning: false };
  }

  /** Resolves, compares and keeps the result, after the poll in flight if there is one (one at a time). */
  async poll(): Promise<DiscoveryStatus | undefined> {
    if (!this.enabled) return undefined;
    while (this.polling) await this.polling;
    this.polling = this.pollOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pollOnce(): Promise<DiscoveryStatus> {
    const query = this.config.cluster.dnsQuery!;
    const checkedAt = new Date().toISOString();
    const resolved = await this.resolve(query);
    if ('addresses' in resolved) {
      this.answer = { query, addresses: resolved.addresses, resolvedAt: checkedAt };
      this.presence.learnAddress(
        selfAddressIn(resolved.addresses, this.resolver.localAddresses().map(normalizeAddress)),
      );
    } else {
      this.answer = {
        query,
        addresses: this.answer?.addresses ?? [],
        resolvedAt: this.answer?.resolvedAt,
        error: resolved.error,
      };
    }
    let status: DiscoveryStatus;
    try {
      const nodes = await this.presence.liveNodes();
      const comparison = this.answer.resolvedAt ? compareDiscovery(this.answer.addresses, nodes) : undefined;
      status = {
        query,
        checkedAt,
        ...(this.answer.resolvedAt ? { resolvedAt: this.answer.resolvedAt } : {}),
        ...comparison,
        ...(this.answer.error ? { error: `DNS: ${this.answer.error}` } : {}),
        warning:
          !!this.answer.error || !comparison || comparison.missing.length + comparison.unexpected.length > 0,
      };
    } catch (error) {
      status = { query, checkedAt, error: `presence: ${(error as Error).message}`, warning: true };
    }
    this.last = status;
    this.logChange(status);
    return status;
  }

  /** A and AAAA; a family without records is empty, both failing is an error. */
  private async resolve(query: string): Promise<{ addresses: string[] } | { error: string }> {
    const results = await Promise.allSettled([this.resolver.resolve4(query), this.resolver.resolve6(query)]);
    const addresses: string[] = [];
    const errors: string[] = [];
    for (const result of results) {
      if (result.status === 'fulfilled') addresses.push(...result.value);
      else if (!NO_RECORDS.has((result.reason as { code?: string }).code ?? '')) {
        errors.push((result.reason as Error).message);
      }
    }
    if (errors.length === results.length) return { error: errors.join('; ') };
    return { addresses: [...new Set(addresses.map(normalizeAddress))].sort() };
  }

  private logChange(status: DiscoveryStatus): void {
    const summary = status.warning
      ? `${status.error ?? ''} missing=${(status.missing ?? []).join(',')} unexpected=${(
          status.unexpected ?? []
        )
          .map((u) => `${u.name}@${u.address ?? '?'}`)
          .join(',')}`
      : '';
    if (summary === this.lastWarning) return;
    if (summary) this.logger.warn(`cluster discovery (${status.query}) differs from presence: ${summary}`);
    else this.logger.log(`cluster discovery (${status.query}) agrees with presence again`);
    this.lastWarning = summary;
  }
}
