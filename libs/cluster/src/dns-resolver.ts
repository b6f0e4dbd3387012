import { Resolver } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';
import { Injectable } from '@nestjs/common';

/**
 * The DNS seam of cluster discovery (and the host's own addresses, to recognise itself in the answer).
 * Tests replace it with a stub: `overrideProvider(DnsResolver)` or `jest.spyOn(app.get(DnsResolver), ...)`.
 */
@Injectable()
export class DnsResolver {
  // Bounded: a dead DNS server must not pile up polls.
  private readonly resolver = new Resolver({ timeout: 2000, tries: 2 });

  resolve4(name: string): Promise<string[]> {
    return this.resolver.resolve4(name);
  }

  /** Fly answers `<app>.internal` with AAAA records only. */
  resolve6(name: string): Promise<string[]> {
    return this.resolver.resolve6(name);
  }

  localAddresses(): string[] {
    return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  }
}
