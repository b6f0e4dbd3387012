import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import type { Page } from './code-store.repository.js';
import { AuditEntryEntity } from './entities/audit-entry.entity.js';

export interface NewAuditEntry {
  /** `role:name`, or `anonymous`. */
  actor: string;
  action: string;
  target: string;
  /** `ok`, or the error code the action ended with. */
  outcome: string;
  details?: Record<string, unknown>;
}

/** The PostgreSQL seam for audit_log: state-changing actions, allowed or refused. */
@Injectable()
export class AuditRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Audit rows are written for refused requests too, whose fields may be hostile (a NUL byte, a lone
   * surrogate, 16 KB of route parameter): they are made storable here, so that no input loses its row.
   */
  async write(entry: NewAuditEntry): Promise<void> {
    await this.dataSource.getRepository(AuditEntryEntity).insert({
      actor: storable(entry.actor),
      action: storable(entry.action),
      target: storable(entry.target),
      outcome: storable(entry.outcome),
      details: entry.details
        ? (JSON.parse(
            JSON.stringify(entry.details, (_key, value: unknown) =>
              typeof value === 'string' ? storable(value) : value,
            ),
          ) as Record<string, unknown>)
        : null,
    } as QueryDeepPartialEntity<AuditEntryEntity>);
  }

  /**
   * A refused action, counted into one row per actor, action and minute (target `*` once the minute's
   * refusals had several): an upsert, so concurrent refusals on any number of nodes are all counted.
   */
  async recordDenial(entry: { actor: string; action: string; target: string }): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO audit_log (actor, action, target, outcome, denied_minute, count)
       VALUES ($1, $2, $3, 'forbidden', date_trunc('minute', now()), 1)
       ON CONFLICT ON CONSTRAINT audit_log_denial_minute_key DO UPDATE SET
         count = audit_log.count + 1,
         target = CASE WHEN audit_log.target = EXCLUDED.target THEN audit_log.target ELSE '*' END`,
      [entry.actor, entry.action, entry.target],
    );
  }

  /** Newest first; rows written in the same instant keep their insertion order. */
  async list(page: Page): Promise<{ items: AuditEntryEntity[]; total: number }> {
    const [items, total] = await this.dataSource
      .getRepository(AuditEntryEntity)
      .findAndCount({ order: { createdAt: 'DESC', id: 'DESC' }, take: page.limit, skip: page.offset });
    return { items, total };
  }
}

const MAX_FIELD_CHARS = 500;

/** NUL (PostgreSQL text refuses it) and lone surrogates (jsonb refuses them) become U+FFFD; long values are cut. */
function storable(text: string): string {
  // Cut first: cutting could split a surrogate pair, which the replacement then catches.
  const cut = text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}…` : text;
  return cut.replaceAll('\u0000', '\ufffd').replace(/\p{Cs}/gu, '\ufffd');
}
