import { Controller, Get, Inject, OnModuleDestroy, OnModuleInit, Res } from '@nestjs/common';
import { BusMessage, ClusterBus } from '@seed/cluster';
import { MODULE_NAME_PATTERN } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { Actor, CurrentActor } from './actor.js';
import { AnyRole } from './auth/roles.decorator.js';
import { NO_REQUEST_TIMEOUT } from './request-timeout.js';
import { EventStreams, SseStream } from './sse.js';
import { ValidQuery } from './validated.js';

const eventsQuerySchema = z.object({ module: z.string().regex(MODULE_NAME_PATTERN).optional() });

/** String fields of a preview are cut to this many characters. */
const PREVIEW_STRING_CHARS = 200;

/**
 * Server-sent events: submissions, stage progress, rejections, activations, rollbacks, from every node.
 * One bus subscription and one heartbeat for all streams: each event is serialised once.
 */
@Controller('events')
export class EventsController implements OnModuleInit, OnModuleDestroy {
  private readonly subscribers = new Map<SseStream, string | undefined>();
  private sequence = 0;
  private unsubscribe?: () => void;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly bus: ClusterBus,
    private readonly streams: EventStreams,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.bus.subscribe((event: BusMessage) => {
      // Token events name credentials: GET /tokens (admin) lists them, this any-role stream does not.
      if (!('module' in event)) return;
      let frame: Buffer | undefined;
      for (const [stream, module] of this.subscribers) {
        if (module && event.module !== module) continue;
        frame ??= this.frame(event.type, event);
        stream.send(frame);
      }
    });
    // Heartbeats keep proxies from closing an idle stream and let clients notice a dead one.
    this.heartbeat = setInterval(() => {
      if (this.subscribers.size === 0) return;
      const frame = this.frame('heartbeat', { at: new Date().toISOString() });
      for (const stream of this.subscribers.keys()) stream.send(frame);
    }, this.config.http.eventsHeartbeatMs);
    this.heartbeat.unref();
  }

  @Get()
  @AnyRole()
  @RouteConfig(NO_REQUEST_TIMEOUT)
  stream(
    @ValidQuery(eventsQuerySchema) query: z.infer<typeof eventsQuerySchema>,
    @CurrentActor() actor: Actor,
    @Res() reply: FastifyReply,
  ): void {
    const stream = this.streams.start(reply, actor);
    stream.send(this.frame('ready', { node: this.config.nodeName, module: query.module ?? null }));
    this.subscribers.set(stream, query.module);
    stream.onClose(() => this.subscribers.delete(stream));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
    clearInterval(this.heartbeat);
  }

  /** An event larger than EVENTS_MAX_EVENT_BYTES goes out as a preview: its short scalar fields. */
  private frame(type: string, data: object): Buffer {
    let json = JSON.stringify(data);
    const bytes = Buffer.byteLength(json);
    if (bytes > this.config.http.streams.maxEventBytes) {
      const scalars = Object.entries(data).flatMap(([key, value]) =>
        value === null || ['number', 'boolean'].includes(typeof value)
          ? [[key, value]]
          : typeof value === 'string'
            ? [[key, value.slice(0, PREVIEW_STRING_CHARS)]]
            : [],
      );
      json = JSON.stringify({ ...Object.fromEntries(scalars), truncated: true, bytes });
    }
    return Buffer.from(`id: ${++this.sequence}\nevent: ${type}\ndata: ${json}\n\n`);
  }
}
