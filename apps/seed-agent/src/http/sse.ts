import type { ServerResponse } from 'node:http';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import type { FastifyReply } from 'fastify';
import type { Actor } from './actor.js';
import { ApiError } from './api-error.js';

/** One open server-sent event stream. */
export class SseStream {
  constructor(
    private readonly raw: ServerResponse,
    private readonly maxBufferBytes: number,
  ) {}

  get closed(): boolean {
    return this.raw.destroyed || this.raw.writableEnded;
  }

  /**
   * Queues a frame (pass one Buffer to every stream: the queues then share its memory). A reader that
   * lets more than maxBufferBytes pile up unsent is disconnected rather than buffered for.
   */
  send(frame: Buffer | string): void {
    if (this.closed) return;
    const bytes = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    if (this.raw.writableLength + bytes > this.maxBufferBytes) {
      this.raw.destroy();
      return;
    }
    this.raw.write(frame);
  }

  end(): void {
    if (!this.closed) this.raw.end();
  }

  onClose(listener: () => void): void {
    this.raw.on('close', listener);
  }
}

/** Every open stream of this node (`/events`, streamed chat), within a cap per token and in total. */
@Injectable()
export class EventStreams implements OnModuleDestroy {
  private readonly open = new Set<SseStream>();
  private readonly perToken = new Map<string, number>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get size(): number {
    return this.open.size;
  }

  /** 429 `too_many_streams` when the actor's token, or this node, has no room for another stream. */
  checkRoom(actor: Actor): void {
    const { max, maxPerToken } = this.config.http.streams;
    const mine = this.perToken.get(actor.name) ?? 0;
    if (mine >= maxPerToken)
      throw new ApiError('too_many_streams', `token ${actor.name} has ${mine} streams open already`, {
        limit: maxPerToken,
      });
    if (this.open.size >= max)
      throw new ApiError('too_many_streams', `this node has ${max} streams open already`, { limit: max });
  }

  /** Takes the response over from Fastify and starts a stream on it, if there is room (checkRoom). */
  start(reply: FastifyReply, actor: Actor): SseStream {
    this.checkRoom(actor);
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // proxies (nginx) must not buffer the stream
      'x-accel-buffering': 'no',
      // hijacked replies skip Fastify's onSend hook, which sets it for every other route
      'x-request-id': String(reply.request.id),
    });
    const stream = new SseStream(reply.raw, this.config.http.streams.maxBufferBytes);
    this.open.add(stream);
    this.perToken.set(actor.name, (this.perToken.get(actor.name) ?? 0) + 1);
    stream.onClose(() => {
      if (!this.open.delete(stream)) return;
      const left = (this.perToken.get(actor.name) ?? 1) - 1;
      if (left > 0) this.perToken.set(actor.name, left);
      else this.perToken.delete(actor.name);
    });
    return stream;
  }

  /** Open streams would keep the HTTP server from closing at shutdown. */
  onModuleDestroy(): void {
    for (const stream of [...this.open]) stream.end();
  }
}
