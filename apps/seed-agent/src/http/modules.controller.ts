import {
  Controller,
  Delete,
  Get,
  Header,
  Headers,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Put,
  Res,
} from '@nestjs/common';
import { CodeStoreRepository, moduleSettingsSchema, type ModuleSettings } from '@seed/code-store';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { ModulesService, SubmissionsService } from '@seed/hot-reload';
import { MODULE_SDK_DTS } from '@seed/runtime';
import type { FastifyReply } from 'fastify';
import { Actor, actorLabel, CurrentActor } from './actor.js';
import { ApiError } from './api-error.js';
import { Audit } from './audit/audit.decorator.js';
import { AnyRole, Roles } from './auth/roles.decorator.js';
import {
  addTestsSchema,
  CreateModuleBody,
  createModuleSchema,
  PageQuery,
  pageSchema,
  TestCaseBody,
  testCasesSchema,
  toNewTestCase,
} from './dto.js';
import { PreferWait, withOutcome } from './prefer-wait.js';
import { assertSourceSize } from './source-limit.js';
import { moduleView, page, testCaseView } from './views.js';
import { ValidBody, ValidQuery } from './validated.js';

@Controller('modules')
export class ModulesController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: CodeStoreRepository,
    private readonly modules: ModulesService,
    private readonly submissions: SubmissionsService,
  ) {}

  /** 201 with the first version queued; under `Prefer: wait`, with its outcome once the pipeline decides. */
  @Post()
  @Roles('admin')
  @Audit('create')
  @PreferWait()
  async create(
    @ValidBody(createModuleSchema) body: CreateModuleBody,
    @CurrentActor() actor: Actor,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    assertSourceSize(body.source, this.config.pipeline.maxSourceBytes);
    const submission = await this.submissions.createModule(
      body.name,
      body.source,
      await this.modules.pinEvaluators(body.tests.map(toNewTestCase)),
      body.settings,
      actorLabel(actor),
      actor.role,
      body.kind,
    );
    return withOutcome(
      { name: body.name, versionId: submission.versionId, jobId: submission.jobId, seq: submission.seq },
      {
        submissions: this.submissions,
        prefer,
        requestTimeoutMs: this.config.http.requestTimeoutMs,
        reply,
        decidedStatus: 201,
      },
    );
  }

  @Get()
  @AnyRole()
  async list(@ValidQuery(pageSchema) query: PageQuery) {
    const { items, total } = await this.store.listModules(query);
    return page(
      items.map((m) => moduleView(m)),
      total,
      query,
    );
  }

  /** Type declarations for module authors. */
  @Get('sdk.d.ts')
  @AnyRole()
  @Header('content-type', 'application/typescript; charset=utf-8')
  sdk(): string {
    return MODULE_SDK_DTS;
  }

  @Get(':name')
  @AnyRole()
  async get(@Param('name') name: string) {
    const module = await this.store.getModule(name);
    const counts = await this.store.versionCounts(module.id);
    const active = module.activeVersionId ? await this.store.findVersion(module.activeVersionId) : null;
    return moduleView(module, { activeSeq: active?.seq ?? null, counts });
  }

  @Patch(':name')
  @Roles('admin')
  @Audit('settings')
  async updateSettings(
    @Param('name') name: string,
    @ValidBody(moduleSettingsSchema) settings: ModuleSettings,
  ) {
    return moduleView(await this.modules.updateSettings(name, settings));
  }

  @Delete(':name')
  @Roles('admin')
  @Audit('delete')
  @HttpCode(204)
  async delete(@Param('name') name: string): Promise<void> {
    await this.modules.delete(name);
  }

  /** Held-out cases are admins' only: other roles see how many there are, nothing else. */
  @Get(':name/tests')
  @AnyRole()
  async tests(@Param('name') name: string, @CurrentActor() actor: Actor) {
    const module = await this.store.getModule(name);
    const cases = await this.store.listTests(module.id);
    if (actor.role === 'admin') return { items: cases.map(testCaseView) };
    const visible = cases.filter((c) => !c.hidden);
    return { items: visible.map(testCaseView), hiddenCount: cases.length - visible.length };
  }

  /** Replaces every case: admins only, since an agent must not weaken its own exam. */
  @Put(':name/tests')
  @Roles('admin')
  @Audit('tests.replace')
  async replaceTests(
    @Param('name') name: string,
    @ValidBody(testCasesSchema) tests: TestCaseBody[],
    @CurrentActor() actor: Actor,
  ) {
    await this.modules.replaceTests(
      name,
      await this.modules.pinEvaluators(tests.map(toNewTestCase)),
      actorLabel(actor),
    );
    return this.tests(name, actor);
  }

  /** Adds cases: agents may, when the active version passes them (a case it fails is a goal: /improve). */
  @Post(':name/tests')
  @Roles('admin', 'agent')
  @Audit('tests.add')
  async addTests(
    @Param('name') name: string,
    @ValidBody(addTestsSchema)
    body: TestCaseBody[] | TestCaseBody,
    @CurrentActor() actor: Actor,
  ) {
    const tests = Array.isArray(body) ? body : [body];
    if (actor.role !== 'admin' && tests.some((t) => t.hidden))
      throw new ApiError('forbidden', 'only an admin adds held-out (hidden) cases');
    const pinned = await this.modules.pinEvaluators(tests.map(toNewTestCase));
    await this.modules.addTests(name, pinned, actorLabel(actor), actor.role);
    return this.tests(name, actor);
  }
}
