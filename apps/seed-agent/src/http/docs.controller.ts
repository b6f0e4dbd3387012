import { Controller, Get, Inject } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { AnyRole } from './auth/roles.decorator.js';
import { openApiDocument } from './openapi.js';
import { RouteCatalog } from './route-catalog.js';

@Controller('docs')
export class DocsController {
  private document?: Record<string, unknown>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly catalog: RouteCatalog,
  ) {}

  /** The OpenAPI document, generated from the controllers and the zod schemas that validate them. */
  @Get()
  @AnyRole()
  openApi(): Record<string, unknown> {
    this.document ??= openApiDocument(this.catalog.routes(), this.config.version);
    return this.document;
  }
}
