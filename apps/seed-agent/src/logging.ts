import { RequestMethod } from '@nestjs/common';
import type { AppConfig } from '@seed/config';
import type { Params } from 'nestjs-pino';
import pino, { type Logger, type TransportSingleOptions } from 'pino';

/**
 * pino everywhere: JSON in production, readable lines in a terminal otherwise. The request id is
 * Fastify's (x-request-id when the caller sends one), bound to every line logged during the request.
 */
export function loggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      base: { node: config.nodeName },
      transport: transport(config),
      customLogLevel: (_req, res, error) =>
        error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      redact: ['req.headers.authorization'],
    },
    // Nest 12 on Fastify: the default route pattern logs no request at all.
    forRoutes: ['*'],
    // The data plane: a line (and a child logger) per call costs more than the call; its refusals and
    // errors are logged by the onResponse hook (bootstrap.ts), with the request id.
    exclude: [{ method: RequestMethod.POST, path: 'modules/:name/invoke' }],
  };
}

/** The logger used before Nest exists (resource resolution, shutdown), formatted like the app's. */
export function bootLogger(config: AppConfig): Logger {
  return pino({ level: config.logLevel, base: { node: config.nodeName }, transport: transport(config) });
}

function transport(config: AppConfig): TransportSingleOptions | undefined {
  return config.production
    ? undefined
    : { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l' } };
}
