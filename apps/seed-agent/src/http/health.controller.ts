import { Controller, Get, HttpException, Res } from '@nestjs/common';
import { Public } from './auth/roles.decorator.js';
import { HealthService, Liveness } from '@seed/health';
import type { FastifyReply } from 'fastify';

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

  /** Terminus' own body ({status, info, error, details}), which monitors and deploy gates understand. */
  @Get('deep')
  async deep(@Res() reply: FastifyReply): Promise<void> {
    try {
      await reply.status(200).send(await this.health.deep());
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      await reply.status(error.getStatus()).send(error.getResponse());
    }
  }
}
