import { isIP } from 'node:net';
import { CliError, EXIT } from './cli-error.js';

/** The server's base URL, checked: a bearer token never travels in clear text beyond this machine. */
export function parseServerUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(
      `${JSON.stringify(raw)} is not a URL (e.g. https://seed.example.com)`,
      EXIT.usage,
      'bad_url',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new CliError(
      `${url.protocol} is not supported: use https:// (or http:// to this machine)`,
      EXIT.usage,
      'bad_url',
    );
  if (url.username || url.password || url.search || url.hash)
    throw new CliError('the server URL takes no credentials, query or fragment', EXIT.usage, 'bad_url');
  if (url.protocol === 'http:' && !isLoopback(url.hostname))
    throw new CliError(
      `refusing plain http:// to ${url.hostname}: the token would cross the network unencrypted; use https://`,
      EXIT.usage,
      'insecure_url',
    );
  return url;
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}
