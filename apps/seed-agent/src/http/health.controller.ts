import { Controller, Get, HttpException, Req, Res } from '@nestjs/common';
import { Public } from './auth/roles.decorator.js';
import { HealthService, Liveness } from '@seed/health';
import type { FastifyReply } from 'fastify';
import type { Actor } from './actor.js';

@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  liveness(): Liveness {
    return this.health.liveness();
  }

  @Get('ready')
  async readiness(@Res() reply: FastifyReply): Promise<void> {
    const { ready, body } = await this.health.readiness();
    await reply.status(ready ? 200 : 503).send(body);
  }

  /**
   * Terminus' own body ({status, info, error, details}), which monitors and deploy gates understand, for a
   * caller with a valid token (any role); others get the status alone: the detail names paths and memory.
   */
  @Get('deep')
  async deep(@Req() request: { actor?: Actor }, @Res() reply: FastifyReply): Promise<void> {
    let status = 200;
    let body: unknown;
    try {
      body = await this.health.deep();
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      status = error.getStatus();
      body = error.getResponse();
    }
    await reply.status(status).send(request.actor ? body : { status: (body as { status: unknown }).status });
  }
}
