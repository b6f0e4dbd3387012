import { Controller, Get, Headers, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import { CodeStoreRepository, type ModuleVersionEntity } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { ActivationService, SubmissionsService, whyWaiting } from '@seed/hot-reload';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { Actor, actorLabel, CurrentActor } from './actor.js';
import { Audit } from './audit/audit.decorator.js';
import { ApiError } from './api-error.js';
import { AnyRole, Roles } from './auth/roles.decorator.js';
import {
  activateSchema,
  PageQuery,
  pageSchema,
  rollbackSchema,
  SubmitVersionBody,
  submitVersionSchema,
  versionListSchema,
  VersionListQuery,
  versionQuerySchema,
} from './dto.js';
import { PreferWait, withOutcome } from './prefer-wait.js';
import type { VersionRef } from './route-params.js';
import { assertSourceSize } from './source-limit.js';
import { boundedDiff } from './version-diff.js';
import { activationView, page, versionSummary, versionView } from './views.js';
import { ValidBody, ValidQuery } from './validated.js';

@Controller('modules/:name')
export class VersionsController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly submissions: SubmissionsService,
    private readonly activation: ActivationService,
  ) {}

  /** 202 while the candidate is in the pipeline; 200 with its outcome under `Prefer: wait`. */
  @Post('versions')
  @Roles('admin', 'agent')
  @Audit('submit')
  @PreferWait()
  @HttpCode(202)
  async submit(
    @Param('name') name: string,
    @ValidBody(submitVersionSchema) body: SubmitVersionBody,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (idempotencyKey !== undefined && !/^[\w.:-]{1,200}$/.test(idempotencyKey)) {
      throw new ApiError('invalid_request', 'Idempotency-Key must be 1-200 letters, digits or . _ : -');
    }
    assertSourceSize(body.source, this.config.pipeline.maxSourceBytes);
    const parent = body.parentVersionId && (await this.resolve(name, body.parentVersionId));
    const submission = await this.submissions.submit(name, {
      source: body.source,
      rationale: body.rationale,
      parentVersionId: parent ? parent.id : undefined,
      activate: body.activate,
      dryRun: body.dryRun,
      author: actorLabel(actor),
      authorRole: actor.role,
      idempotencyKey,
    });
    return withOutcome(
      { versionId: submission.versionId, jobId: submission.jobId, seq: submission.seq },
      {
        submissions: this.submissions,
        prefer,
        requestTimeoutMs: this.config.http.requestTimeoutMs,
        reply,
        decidedStatus: 200,
      },
    );
  }

  /** `?status=ready` lists held versions, each with why it waits. */
  @Get('versions')
  @AnyRole()
  async list(@Param('name') name: string, @ValidQuery(versionListSchema) query: VersionListQuery) {
    const module = await this.store.getModule(name);
    const { items, total } = await this.store.listVersions(module.id, query, query.status);
    return page(
      items.map((v) => ({
        ...versionSummary(v),
        ...(v.status === 'ready' ? { waiting: whyWaiting(v, module.settings) } : {}),
      })),
      total,
      query,
    );
  }

  /** Turns down a held (`ready`) version: it can no longer be activated. */
  @Post('versions/:id/reject')
  @Roles('admin')
  @Audit('reject')
  @HttpCode(200)
  async reject(@Param('name') name: string, @Param('id') ref: VersionRef, @CurrentActor() actor: Actor) {
    const version = await this.resolve(name, ref);
    const rejected = await this.store.rejectReady(version.id, [
      { stage: 'activate', message: `rejected by ${actorLabel(actor)}` },
    ]);
    if (!rejected)
      throw new ApiError(
        'conflict',
        `version ${version.id} is ${version.status}: only a ready version can be rejected`,
      );
    return versionSummary({ ...version, status: 'rejected' });
  }

  @Get('versions/:id')
  @AnyRole()
  async get(
    @Param('name') name: string,
    @Param('id') ref: VersionRef,
    @ValidQuery(versionQuerySchema) query: z.infer<typeof versionQuerySchema>,
  ) {
    const version = await this.resolve(name, ref);
    if (query.diff === undefined) return versionView(version);
    const base =
      query.diff !== 'parent'
        ? await this.store.resolveVersionRef(version.moduleId, query.diff)
        : version.parentId
          ? await this.store.findVersion(version.parentId)
          : null;
    const diff = boundedDiff(
      { label: base ? `${name}@${base.seq}` : '/dev/null', source: base?.source ?? '' },
      { label: `${name}@${version.seq}`, source: version.source },
      this.config.http.diff,
    );
    return { ...versionView(version), diff };
  }

  /** Every switch of the active version, newest first: from, to, reason (gates, manual, rollback, canary), actor. */
  @Get('activations')
  @AnyRole()
  async activations(@Param('name') name: string, @ValidQuery(pageSchema) query: PageQuery) {
    const module = await this.store.getModule(name);
    const { items, total } = await this.store.listActivations(module.id, query);
    return page(items.map(activationView), total, query);
  }

  @Post('activate')
  @Roles('admin')
  @Audit('activate')
  @HttpCode(200)
  async activate(
    @Param('name') name: string,
    @ValidBody(activateSchema) body: { versionId: VersionRef },
    @CurrentActor() actor: Actor,
  ) {
    const target = await this.resolve(name, body.versionId);
    const result = await this.activation.activate(name, target.id, actorLabel(actor));
    return {
      module: name,
      activeVersionId: result.toVersionId,
      previousVersionId: result.fromVersionId,
      seq: result.seq,
    };
  }

  @Post('rollback')
  @Roles('admin')
  @Audit('rollback')
  @HttpCode(200)
  async rollback(
    @Param('name') name: string,
    @ValidBody(rollbackSchema) body: { versionId?: VersionRef },
    @CurrentActor() actor: Actor,
  ) {
    const target = body.versionId && (await this.resolve(name, body.versionId));
    const result = await this.activation.rollback(name, actorLabel(actor), target ? target.id : undefined);
    return {
      module: name,
      activeVersionId: result.toVersionId,
      previousVersionId: result.fromVersionId,
      seq: result.seq,
    };
  }

  private async resolve(name: string, ref: VersionRef): Promise<ModuleVersionEntity> {
    const module = await this.store.getModule(name);
    return this.store.resolveVersionRef(module.id, ref);
  }
}
