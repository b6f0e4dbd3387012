import { Controller, Get, Param, Put } from '@nestjs/common';
import { SecretsService } from '@seed/capabilities';
import { CodeStoreRepository, originSchema } from '@seed/code-store';
import { z } from 'zod';
import { Audit } from './audit/audit.decorator.js';
import { Roles } from './auth/roles.decorator.js';
import { ValidBody } from './validated.js';

const putSecretSchema = z
  .object({
    value: z.string().min(1).max(16_384),
    /** origins ctx.fetch may send it to; any other hop gets no substitution */
    origins: z.array(originSchema).min(1).max(16),
  })
  .strict();

/** Module secrets: write-only (no route returns a value), admins only. */
@Controller('modules/:name/secrets')
export class SecretsController {
  constructor(
    private readonly store: CodeStoreRepository,
    private readonly secrets: SecretsService,
  ) {}

  @Get()
  @Roles('admin')
  async list(@Param('name') name: string) {
    const module = await this.store.getModule(name);
    return { items: await this.secrets.list(module.id) };
  }

  @Put(':key')
  @Roles('admin')
  @Audit('secret')
  async put(
    @Param('name') name: string,
    @Param('key') key: string,
    @ValidBody(putSecretSchema) body: z.infer<typeof putSecretSchema>,
  ) {
    const module = await this.store.getModule(name);
    const origins = [...new Set(body.origins)];
    await this.secrets.put(module.id, key, body.value, origins);
    return { name: key, origins };
  }
}
