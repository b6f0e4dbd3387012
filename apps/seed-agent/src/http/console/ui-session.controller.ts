import { Controller, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Actor, CurrentActor } from '../actor.js';
import { ApiError } from '../api-error.js';
import { AnyRole, Roles } from '../auth/roles.decorator.js';
import { TokenRegistry } from '../auth/token-registry.js';
import { sessionCookie, signSession, UI_SESSION_SECONDS } from './ui-session.js';

/**
 * Trades the admin's bearer token for the HttpOnly cookie the queue view (bull-board, /ui/queues) needs,
 * since its page loads cannot send a header. The bearer header is the CSRF protection: a cross-site form
 * cannot send one; a cross-site fetch is refused too, by the browser's own Sec-Fetch-Site.
 */
@Controller('ui')
export class UiSessionController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly tokens: TokenRegistry,
  ) {}

  /** Who the token is: the console decides from the role which actions it offers (the API enforces them). */
  @Get('session')
  @AnyRole()
  whoami(@CurrentActor() actor: Actor) {
    return { name: actor.name, role: actor.role };
  }

  @Post('session')
  @Roles('admin')
  @HttpCode(200)
  session(
    @CurrentActor() actor: Actor,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') {
      throw new ApiError('forbidden', 'a console session is only issued to the console itself (same origin)');
    }
    const token = this.tokens.named(actor.name).find((t) => t.role === 'admin');
    if (!token) throw new ApiError('forbidden', 'only an admin token opens a console session');
    void reply.header(
      'set-cookie',
      sessionCookie(signSession(token, Date.now()), request.protocol === 'https'),
    );
    void reply.header('cache-control', 'no-store');
    return { path: '/ui/queues/', expiresInSeconds: UI_SESSION_SECONDS, node: this.config.nodeName };
  }
}
