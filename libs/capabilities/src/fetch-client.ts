import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { OnModuleDestroy } from '@nestjs/common';
import { CapabilityError } from '@seed/runtime';
import { refusedAddress, type Cidr } from './address-policy.js';

/** Name resolution; tests stub it where a hostname must resolve to a refused address. */
export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface FetchBounds {
  /** origins (scheme://host[:port]) the grant names; every hop must be one of them */
  readonly origins: readonly string[];
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxRedirects: number;
}

export interface FetchRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * Per-hop hooks: the headers to send to that hop (secret substitution), what the module may see back (every
 * response header, the body and every error message pass through scrub), and a redirect's request before it is
 * sent (the grant's request count: it throws past it).
 */
export interface FetchHooks {
  headersFor?(url: URL): Readonly<Record<string, string>>;
  scrub?(text: string): string;
  onRedirect?(url: URL): void;
}

export interface FetchResult {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** the URL that answered, after redirects */
  readonly url: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * ctx.fetch's HTTP client. Every hop's origin must be granted; its hostname is resolved once, every address it
 * resolves to is checked (refusedAddress), and the socket connects to the checked address (the lookup hook of
 * that address's keep-alive agent answers it, so there is no second lookup to rebind). node:http never reads
 * proxy variables. The whole call, redirects included, is bounded by timeoutMs; a body past maxResponseBytes is
 * cut off and refused. Whatever fails is a CapabilityError whose message went through hooks.scrub.
 */
export class FetchClient implements OnModuleDestroy {
  private readonly agents = new AddressAgents();

  constructor(
    private readonly allow: readonly Cidr[],
    private readonly resolve: Resolver = systemResolver,
  ) {}

  /** Closes the kept-alive sockets. */
  onModuleDestroy(): void {
    this.agents.close();
  }

  async fetch(request: FetchRequest, bounds: FetchBounds, hooks: FetchHooks = {}): Promise<FetchResult> {
    const scrub = hooks.scrub ?? ((t: string) => t);
    try {
      return await this.follow(request, bounds, hooks, scrub);
    } catch (error) {
      // a refused redirect's host, a resolver's or a socket's message: none reaches the module unscrubbed
      if (error instanceof CapabilityError) throw new CapabilityError(error.code, scrub(error.message));
      throw new CapabilityError('capability_unavailable', 'fetch: the request failed');
    }
  }

  private async follow(
    request: FetchRequest,
    bounds: FetchBounds,
    hooks: FetchHooks,
    scrub: (text: string) => string,
  ): Promise<FetchResult> {
    const signal = AbortSignal.timeout(bounds.timeoutMs);
    let url = new URL(request.url);
    let { method, body } = request;
    for (let hop = 0; ; hop++) {
      if (!bounds.origins.includes(url.origin)) {
        throw new CapabilityError(
          'capability_denied',
          hop === 0
            ? `fetch: ${url.origin} is not a granted origin`
            : `fetch: a redirect to ${url.origin} leaves the granted origins`,
        );
      }
      if (hop > 0) hooks.onRedirect?.(url);
      const target = await this.checkedAddress(url.hostname, signal, bounds.timeoutMs);
      const response = await this.send(
        url,
        target,
        { method, headers: hooks.headersFor ? hooks.headersFor(url) : request.headers, body },
        signal,
        bounds,
      );
      const location = response.headers.location;
      if (REDIRECTS.has(response.statusCode ?? 0) && typeof location === 'string') {
        response.destroy();
        if (hop >= bounds.maxRedirects) {
          throw new CapabilityError('capability_limit', `fetch: more than ${bounds.maxRedirects} redirects`);
        }
        try {
          url = new URL(location, url);
        } catch {
          throw new CapabilityError('capability_unavailable', 'fetch: a redirect names no valid URL');
        }
        const status = response.statusCode!;
        if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      const text = await readBody(response, bounds.maxResponseBytes, signal, bounds.timeoutMs);
      const headers = Object.entries(flatHeaders(response)).map(([name, value]) => [name, scrub(value)]);
      return {
        status: response.statusCode ?? 0,
        headers: Object.fromEntries(headers) as Record<string, string>,
        body: scrub(text),
        url: url.toString(),
      };
    }
  }

  /** The address to connect to: the literal, or every address the name resolves to checked. */
  private async checkedAddress(
    hostname: string,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<CheckedAddress> {
    const literal = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    let addresses: Array<{ address: string; family: number }>;
    if (isIP(literal)) {
      addresses = [{ address: literal, family: isIP(literal) }];
    } else {
      try {
        addresses = await abortable(this.resolve(literal), signal, timeoutMs);
      } catch (error) {
        if (error instanceof CapabilityError) throw error;
        throw new CapabilityError('capability_unavailable', `fetch: ${literal} does not resolve`);
      }
    }
    if (addresses.length === 0)
      throw new CapabilityError('capability_unavailable', `fetch: ${literal} does not resolve`);
    for (const { address } of addresses) {
      const why = refusedAddress(address, this.allow);
      if (why)
        throw new CapabilityError(
          'capability_denied',
          `fetch: ${literal} resolves to a refused address (${why})`,
        );
    }
    const first = addresses[0];
    return { address: first.address, family: first.family === 6 ? 6 : 4 };
  }

  private send(
    url: URL,
    target: CheckedAddress,
    request: { method: string; headers: Readonly<Record<string, string>>; body?: string },
    signal: AbortSignal,
    bounds: FetchBounds,
  ): Promise<IncomingMessage> {
    const client = url.protocol === 'https:' ? https : http;
    const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
    return new Promise((resolve, reject) => {
      const req = client.request(
        {
          protocol: url.protocol,
          hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          method: request.method,
          headers: {
            ...request.headers,
            host: url.host,
            ...(body ? { 'content-length': String(body.length) } : {}),
          },
          // its sockets go to the address checked above only: no second resolution
          agent: this.agents.for(url.protocol, target),
          signal,
        },
        resolve,
      );
      req.on('error', (error) =>
        reject(
          signal.aborted
            ? new CapabilityError('capability_limit', `fetch: no answer within ${bounds.timeoutMs} ms`)
            : new CapabilityError('capability_unavailable', `fetch: ${url.origin} failed: ${error.message}`),
        ),
      );
      req.end(body);
    });
  }
}

interface CheckedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Addresses with a keep-alive agent at once; past it the least recently used one is closed. */
const MAX_AGENTS = 256;
/** Sockets per origin of one address, open and idle: bounded, so a module cannot hold a node's file descriptors. */
const MAX_SOCKETS = 32;
const MAX_IDLE_SOCKETS = 8;
/** An idle socket is closed after this long: below the 5 s keep-alive of common servers (Node's own included). */
const IDLE_MS = 4000;

/**
 * One keep-alive agent per checked address (and scheme): its lookup answers that address alone, so a socket it
 * pools, new or reused, is connected to an address that was checked, and repeated fetches skip the handshake.
 */
class AddressAgents {
  private readonly agents = new Map<string, http.Agent>();

  for(protocol: string, target: CheckedAddress): http.Agent {
    const key = `${protocol}${target.family}/${target.address}`;
    let agent = this.agents.get(key);
    if (agent) {
      // most recently used last: Map keeps insertion order
      this.agents.delete(key);
    } else {
      const options: http.AgentOptions = {
        keepAlive: true,
        maxSockets: MAX_SOCKETS,
        maxFreeSockets: MAX_IDLE_SOCKETS,
        timeout: IDLE_MS,
        lookup: pinnedLookup(target),
      };
      agent = protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
      if (this.agents.size >= MAX_AGENTS) {
        const [oldest, old] = this.agents.entries().next().value!;
        this.agents.delete(oldest);
        old.destroy();
      }
    }
    this.agents.set(key, agent);
    return agent;
  }

  close(): void {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

/** A dns.lookup that answers the checked address, whatever the name. */
function pinnedLookup(target: CheckedAddress): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as LookupFunction;
}

function flatHeaders(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readBody(
  response: IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of response) {
      bytes += (chunk as Buffer).length;
      if (bytes > maxBytes) {
        response.destroy();
        throw new CapabilityError('capability_limit', `fetch: the response is over ${maxBytes} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof CapabilityError) throw error;
    throw signal.aborted
      ? new CapabilityError('capability_limit', `fetch: no answer within ${timeoutMs} ms`)
      : new CapabilityError('capability_unavailable', 'fetch: the response broke off');
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function abortable<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  work.catch(() => undefined);
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      const fail = () =>
        reject(new CapabilityError('capability_limit', `fetch: no answer within ${timeoutMs} ms`));
      if (signal.aborted) fail();
      else signal.addEventListener('abort', fail, { once: true });
    }),
  ]);
}
