import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CodeStoreRepository, type RolloutDecisionEntity, type RolloutEntity } from '@seed/code-store';
import { type ManualAction, RolloutsService } from '@seed/hot-reload';
import { RolloutRepository } from '@seed/rollout';
import { Actor, actorLabel, CurrentActor } from './actor.js';
import { Audit } from './audit/audit.decorator.js';
import { AnyRole, Roles } from './auth/roles.decorator.js';
import { RolloutBody, RolloutListQuery, rolloutListSchema, rolloutSchema } from './dto.js';
import { page } from './views.js';
import { ValidBody, ValidQuery } from './validated.js';

/** Progressive delivery of a version (docs/rollouts.md): start, move by hand, and read the decisions. */
@Controller('modules/:name/rollouts')
export class RolloutsController {
  constructor(
    private readonly store: CodeStoreRepository,
    private readonly service: RolloutsService,
    private readonly rollouts: RolloutRepository,
  ) {}

  @Post()
  @Roles('admin', 'agent')
  @Audit('rollout.start')
  @HttpCode(201)
  async start(
    @Param('name') name: string,
    @ValidBody(rolloutSchema) body: RolloutBody,
    @CurrentActor() actor: Actor,
  ) {
    const module = await this.store.getModule(name);
    const version = await this.store.resolveVersionRef(module.id, body.versionId);
    const input = { ...body, versionId: version.id };
    return rolloutView(await this.service.start(name, input, actorLabel(actor), actor.role));
  }

  @Get()
  @AnyRole()
  async history(@Param('name') name: string, @ValidQuery(rolloutListSchema) query: RolloutListQuery) {
    const module = await this.store.getModule(name);
    const { items, total } = await this.rollouts.history(module.id, query.limit, query.offset, query.kind);
    return page(
      items.map((r) => ({ ...rolloutView(r), decisions: r.decisions.map(decisionView) })),
      total,
      query,
    );
  }

  @Post('current/promote')
  @Roles('admin')
  @Audit('rollout.promote')
  @HttpCode(200)
  promote(@Param('name') name: string, @CurrentActor() actor: Actor) {
    return this.act(name, 'promote', actor);
  }

  @Post('current/pause')
  @Roles('admin')
  @Audit('rollout.pause')
  @HttpCode(200)
  pause(@Param('name') name: string, @CurrentActor() actor: Actor) {
    return this.act(name, 'pause', actor);
  }

  @Post('current/resume')
  @Roles('admin')
  @Audit('rollout.resume')
  @HttpCode(200)
  resume(@Param('name') name: string, @CurrentActor() actor: Actor) {
    return this.act(name, 'resume', actor);
  }

  @Post('current/abort')
  @Roles('admin')
  @Audit('rollout.abort')
  @HttpCode(200)
  abort(@Param('name') name: string, @CurrentActor() actor: Actor) {
    return this.act(name, 'abort', actor);
  }

  private async act(name: string, action: ManualAction, actor: Actor) {
    return rolloutView(await this.service.act(name, action, actorLabel(actor)));
  }
}

export function rolloutView(r: RolloutEntity) {
  return {
    id: r.id,
    versionId: r.versionId,
    stableVersionId: r.stableVersionId,
    kind: r.kind,
    status: r.status,
    steps: r.steps,
    step: r.step,
    weight: r.weight,
    intervalMs: r.intervalMs,
    analysis: r.analysis,
    onInconclusive: r.onInconclusive,
    failures: r.failures,
    stepStartedAt: r.stepStartedAt,
    actor: r.actor,
    createdAt: r.createdAt,
    endedAt: r.endedAt,
  };
}

export function decisionView(d: RolloutDecisionEntity) {
  return {
    seq: d.seq,
    step: d.step,
    weight: d.weight,
    verdict: d.verdict,
    reason: d.reason,
    action: d.action,
    observed: d.observed,
    thresholds: d.thresholds,
    actor: d.actor,
    at: d.at,
  };
}
