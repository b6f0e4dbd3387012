import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ImprovementsService } from '@seed/agent';
import { Actor, CurrentActor } from './actor.js';
import { Audit } from './audit/audit.decorator.js';
import { AnyRole, Roles } from './auth/roles.decorator.js';
import { PageQuery, pageSchema } from './dto.js';
import { ValidQuery } from './validated.js';

/** Improvement runs as records: rounds, candidates, decisions, stop reason (prompts for admins only). */
@Controller()
export class ImprovementsController {
  constructor(private readonly improvements: ImprovementsService) {}

  @Get('improvements/:runId')
  @AnyRole()
  async get(@Param('runId') runId: string, @CurrentActor() actor: Actor) {
    return this.improvements.view(runId, actor.role);
  }

  @Post('improvements/:runId/cancel')
  @Roles('admin', 'agent')
  @Audit('improve.cancel')
  @HttpCode(202)
  async cancel(@Param('runId') runId: string, @CurrentActor() actor: Actor) {
    return this.improvements.cancel(runId, actor.role);
  }

  @Get('modules/:name/improvements')
  @AnyRole()
  async list(@Param('name') name: string, @ValidQuery(pageSchema) query: PageQuery) {
    return this.improvements.list(name, query);
  }
}
