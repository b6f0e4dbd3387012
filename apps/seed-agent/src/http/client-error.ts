import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** How long a refused client may keep its half of the connection open before it is dropped. */
const LINGER_MS = 5000;

/**
 * Fastify's clientErrorHandler: what Node's HTTP parser refuses before any route (a request line and
 * headers over Node's 16 KB limit, a malformed request, a request not received in time) is answered in
 * our error shape with `Connection: close`, and the socket is ended gracefully. Fastify's default writes
 * the answer without that header and destroys the socket at once, so a keep-alive client reused the dead
 * connection for its next request.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = refusal(error.code);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  // end() rather than destroy(): closing with unread input would send a reset that can beat the answer.
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

function refusal(code: string | undefined): [number, string, string] {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return [
      431,
      'headers_too_large',
      'the request line and headers exceed 16 KB: shorten the URL or the headers',
    ];
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return [408, 'request_timeout', 'the request was not received within REQUEST_TIMEOUT'];
  }
  return [400, 'invalid_request', 'malformed HTTP request'];
}
