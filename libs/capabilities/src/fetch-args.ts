import { CapabilityError, type JsonValue } from '@seed/runtime';
import type { FetchRequest } from './fetch-client.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
/** set by the client itself, never by the module */
const RESERVED = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'trailer',
]);
const MAX_HEADERS = 50;
const MAX_HEADER_VALUE = 8192;
const MAX_URL = 2048;
export const MAX_REQUEST_BODY = 1024 * 1024;

const invalid = (message: string) => new CapabilityError('invalid_capability_args', `fetch: ${message}`);

/** ctx.fetch(url, init?) as the module called it, checked. */
export function parseFetchArgs(args: readonly JsonValue[]): FetchRequest {
  const [rawUrl, init] = args;
  if (typeof rawUrl !== 'string' || rawUrl.length > MAX_URL)
    throw invalid(`the URL must be a string of at most ${MAX_URL}`);
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw invalid('the URL does not parse');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('only http and https URLs');
  if (url.username || url.password) throw invalid('no credentials in the URL: use a header and ctx.secret');
  if (init !== undefined && init !== null && (typeof init !== 'object' || Array.isArray(init))) {
    throw invalid('init must be an object');
  }
  const options = (init ?? {}) as Record<string, JsonValue>;
  const method = options.method === undefined ? 'GET' : options.method;
  if (typeof method !== 'string' || !METHODS.has(method.toUpperCase())) throw invalid('unsupported method');
  const headers: Record<string, string> = {};
  const given = options.headers ?? {};
  if (typeof given !== 'object' || given === null || Array.isArray(given))
    throw invalid('headers must be an object');
  const entries = Object.entries(given);
  if (entries.length > MAX_HEADERS) throw invalid(`at most ${MAX_HEADERS} headers`);
  for (const [name, value] of entries) {
    if (!TOKEN.test(name) || RESERVED.has(name.toLowerCase()))
      throw invalid(`header ${name.slice(0, 50)} is not allowed`);
    if (typeof value !== 'string' || value.length > MAX_HEADER_VALUE || /[\r\n\0]/.test(value)) {
      throw invalid(`header ${name} must be a string of at most ${MAX_HEADER_VALUE} without line breaks`);
    }
    headers[name.toLowerCase()] = value;
  }
  const body = options.body;
  if (body !== undefined && body !== null && (typeof body !== 'string' || body.length > MAX_REQUEST_BODY)) {
    throw invalid(`the body must be a string of at most ${MAX_REQUEST_BODY}`);
  }
  return {
    url: url.toString(),
    method: method.toUpperCase(),
    headers,
    ...(typeof body === 'string' ? { body } : {}),
  };
}
