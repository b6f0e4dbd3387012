import type { FastifyInstance } from 'fastify';

/**
 * The console shows sources, rationales, logs and diagnostics written by LLMs and callers: whatever slips
 * past rendering them as text must still not run. No inline script or style, nothing from another origin,
 * no framing.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Everything registered in `instance` (its own plugin context) is public to the bearer hook and carries the CSP. */
export function consoleContext(instance: FastifyInstance): void {
  instance.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object | undefined), public: true };
  });
  instance.addHook('onSend', async (_request, reply) => {
    void reply.header('content-security-policy', CONSOLE_CSP);
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('x-frame-options', 'DENY');
    void reply.header('referrer-policy', 'no-referrer');
  });
}
