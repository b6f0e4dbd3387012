import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { MODULE_NAME_PATTERN, type ApiTokenEntity } from '@seed/code-store';
import { ROLES } from '@seed/config';
import { z } from 'zod';
import { Actor, actorLabel, CurrentActor } from './actor.js';
import { Audit } from './audit/audit.decorator.js';
import { RuntimeTokens } from './auth/runtime-tokens.service.js';
import { TokenRegistry } from './auth/token-registry.js';
import { TOKEN_NAME_PATTERN } from './route-params.js';
import { ValidBody } from './validated.js';

const createTokenSchema = z
  .object({
    name: z.string().regex(TOKEN_NAME_PATTERN, '1-64 letters, digits, _ . -'),
    role: z.enum(ROLES),
    /** The modules it may invoke; absent: any. */
    modules: z.array(z.string().regex(MODULE_NAME_PATTERN, 'a module name')).min(1).max(1000).optional(),
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

/** Tokens managed at runtime (admin only); API_TOKENS are listed too, as the bootstrap set. */
@Controller('tokens')
export class TokensController {
  constructor(
    private readonly tokens: RuntimeTokens,
    private readonly registry: TokenRegistry,
  ) {}

  /** The secret is in this answer only: it is stored as a hash. */
  @Post()
  @Audit('token.create')
  async create(
    @ValidBody(createTokenSchema) body: z.infer<typeof createTokenSchema>,
    @CurrentActor() actor: Actor,
  ) {
    const { entity, secret } = await this.tokens.create(
      { ...body, expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined },
      actorLabel(actor),
    );
    return { ...tokenView(entity), token: secret };
  }

  @Get()
  async list() {
    const bootstrap = this.registry.bootstrapTokens().map((t) => ({
      name: t.name,
      role: t.role,
      source: 'bootstrap' as const,
      modules: null,
      expiresAt: null,
      lastUsedAt: null,
    }));
    return { items: [...bootstrap, ...(await this.tokens.list()).map(tokenView)] };
  }

  /** Revoked on every node within a second (the bus), or at the next reload if the bus is down. */
  @Delete(':tokenName')
  @Audit('token.revoke')
  @HttpCode(204)
  async revoke(@Param('tokenName') name: string): Promise<void> {
    await this.tokens.revoke(name);
  }
}

function tokenView(t: ApiTokenEntity) {
  return {
    name: t.name,
    role: t.role,
    source: 'runtime' as const,
    modules: t.modules,
    expiresAt: t.expiresAt,
    lastUsedAt: t.lastUsedAt,
    createdBy: t.createdBy,
    createdAt: t.createdAt,
  };
}
