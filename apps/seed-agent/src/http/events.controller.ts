import { Controller, Get, Inject, OnModuleDestroy, Res } from '@nestjs/common';
import { BusMessage, ClusterBus } from '@seed/cluster';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { AnyRole } from './auth/roles.decorator.js';
import { NO_REQUEST_TIMEOUT } from './request-timeout.js';
import { startEventStream } from './sse.js';
import { ValidQuery } from './validated.js';

const eventsQuerySchema = z.object({ module: z.string().max(63).optional() });

/** Server-sent events: submissions, stage progress, rejections, activations, rollbacks, from every node. */
@Controller('events')
export class EventsController implements OnModuleDestroy {
  private readonly open = new Set<() => void>();
  private sequence = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: ClusterBus,
  ) {}

  @Get()
  @AnyRole()
  @RouteConfig(NO_REQUEST_TIMEOUT)
  stream(
    @ValidQuery(eventsQuerySchema) query: z.infer<typeof eventsQuerySchema>,
    @Res() reply: FastifyReply,
  ): void {
    const raw = startEventStream(reply);
    const send = (type: string, data: unknown) =>
      raw.write(`id: ${++this.sequence}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    send('ready', { node: this.config.nodeName, module: query.module ?? null });
    const unsubscribe = this.bus.subscribe((event: BusMessage) => {
      if (!query.module || event.module === query.module) send(event.type, event);
    });
    // Heartbeats keep proxies from closing an idle stream and let clients notice a dead one.
    const heartbeat = setInterval(
      () => send('heartbeat', { at: new Date().toISOString() }),
      this.config.http.eventsHeartbeatMs,
    );
    const close = () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.open.delete(close);
      if (!raw.writableEnded) raw.end();
    };
    this.open.add(close);
    raw.on('close', close);
  }

  /** Open streams would keep the HTTP server from closing at shutdown. */
  onModuleDestroy(): void {
    for (const close of [...this.open]) close();
  }
}
