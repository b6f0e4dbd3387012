import { Controller, Get } from '@nestjs/common';
import { AuditRepository } from '@seed/code-store';
import { Roles } from '../auth/roles.decorator.js';
import { PageQuery, pageSchema } from '../dto.js';
import { ValidQuery } from '../validated.js';
import { page } from '../views.js';

@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditRepository) {}

  /** Newest first. A refusal row counts every refusal of its actor and action in its minute. */
  @Get()
  @Roles('admin')
  async list(@ValidQuery(pageSchema) query: PageQuery) {
    const { items, total } = await this.audit.list(query);
    return page(
      items.map((e) => ({
        id: Number(e.id),
        actor: e.actor,
        action: e.action,
        target: e.target,
        outcome: e.outcome,
        count: e.count,
        details: e.details,
        createdAt: e.createdAt,
      })),
      total,
      query,
    );
  }
}
