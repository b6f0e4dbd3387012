import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AuditRepository, CodeStoreRepository } from '@seed/code-store';
import type { AppConfig } from '@seed/config';
import { LifecycleService } from '@seed/health';
import { InvocationService } from '@seed/hot-reload';
import { JobsRepository } from '@seed/jobs';
import { MetricsService } from '@seed/telemetry';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { ensurePrivateDir } from './data-dir.js';
import { addAuthentication } from './http/auth/authenticate.hook.js';
import { RateLimiter } from './http/auth/rate-limiter.js';
import { TokenRegistry } from './http/auth/token-registry.js';
import { RouteCatalog } from './http/route-catalog.js';
import { clientErrorHandler } from './http/client-error.js';
import { consoleStatic } from './http/console/console-static.js';
import { queuesBoard } from './http/console/queues-board.js';
import { ErrorFilter } from './http/error.filter.js';
import { INVOKE_ROUTE, registerInvokeRoute } from './http/invoke.route.js';
import { requireJsonBodies } from './http/json-bodies.js';
import { addRequestTimeout } from './http/request-timeout.js';

/** Builds and initialises the app (migrations and boot reconciliation included) without listening. */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  ensurePrivateDir(config.dataDir, (m) => new NestLogger('Boot').warn(m));
  mkdirSync(config.codeDir, { recursive: true });
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    // Bounds how long a client may take to send its request (slowloris); handlers have their own bound.
    requestTimeout: config.http.requestTimeoutMs,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    clientErrorHandler,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config), adapter, {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new ErrorFilter());

  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(MetricsService);
  metrics.setBuildInfo(config.version, config.nodeName);
  addRequestTimeout(fastify, config.http.requestTimeoutMs);
  const { rateLimit, publicRateLimit, invokeRateLimitPerMinute } = config.http;
  const catalog = app.get(RouteCatalog);
  const tokens = app.get(TokenRegistry);
  addAuthentication(fastify, {
    routes: () => catalog.routes(),
    tokens,
    limiter: new RateLimiter(rateLimit.perMinute, rateLimit.burst),
    invokeLimiter:
      invokeRateLimitPerMinute > 0
        ? new RateLimiter(invokeRateLimitPerMinute, Math.max(1, Math.ceil(invokeRateLimitPerMinute / 6)))
        : undefined,
    publicLimiter: new RateLimiter(publicRateLimit.perMinute, publicRateLimit.burst),
    audit: app.get(AuditRepository),
  });
  requireJsonBodies(fastify);
  fastify.addHook('onSend', (request, reply, payload, done) => {
    void reply.header('x-request-id', request.id);
    done(null, payload);
  });
  // Labelled by route template, never by raw URL, so the label set stays bounded (and its children cached).
  const durations = new Map<string, { observe(seconds: number): void }>();
  const dataPlaneLog = new NestLogger('DataPlane');
  const debugLog = config.logLevel === 'debug' || config.logLevel === 'trace';
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let duration = durations.get(key);
    if (!duration) {
      duration = metrics.httpDuration.labels({
        method: request.method,
        route,
        status_code: String(reply.statusCode),
      });
      durations.set(key, duration);
    }
    duration.observe(reply.elapsedTime / 1000);
    // Invocations skip the request log (logging.ts): failures are logged here, successes only at debug.
    if (route !== INVOKE_ROUTE.path || request.method !== 'POST') return;
    const { statusCode } = reply;
    if (statusCode < 400 && !debugLog) return;
    dataPlaneLog[statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'debug'](
      `request ${request.id}: POST ${request.url} answered ${statusCode} in ${reply.elapsedTime.toFixed(1)} ms`,
    );
  });

  registerInvokeRoute(fastify, {
    invocations: app.get(InvocationService, { strict: false }),
    store: app.get(CodeStoreRepository, { strict: false }),
    maxJsonDepth: config.http.maxJsonDepth,
  });

  // Each in its own plugin context: their routes are public to the bearer hook and carry the console's CSP.
  await fastify.register(consoleStatic);
  await fastify.register(queuesBoard, {
    jobs: app.get<JobsRepository>(JobsRepository, { strict: false }),
    tokensNamed: (name: string) => tokens.named(name),
  });

  await app.init();
  return app;
}

/** Listens (when HTTP_SERVER_ENABLED) and turns readiness on. */
export async function startApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  if (config.http.enabled) await app.listen(config.http.port, config.http.host);
  app.get(LifecycleService).markReady();
}
