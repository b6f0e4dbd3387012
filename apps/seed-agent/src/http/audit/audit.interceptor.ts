import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditRepository } from '@seed/code-store';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { Actor, actorLabel } from '../actor.js';
export type AuditAction =
  | 'secret'
  | 'create'
  | 'submit'
  | 'activate'
  | 'rollback'
  | 'settings'
  | 'tests.add'
  | 'tests.replace'
  | 'delete'
  | 'improve'
  | 'token.create'
  | 'token.revoke'
  | 'improve.cancel'
  | 'reject'
  | 'rollout.start'
  | 'rollout.promote'
  | 'rollout.pause'
  | 'rollout.resume'
  | 'rollout.abort';

export const AUDIT_KEY = 'seed:audit';

interface AuditedRequest {
  actor?: Actor;
  params: Record<string, string>;
  body?: Record<string, unknown>;
}

/** Writes one audit_log row per audited request, after the outcome is known (success or error code). */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditRepository,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const action = this.reflector.get<AuditAction | undefined>(AUDIT_KEY, context.getHandler());
    if (!action) return next.handle();
    const request = context.switchToHttp().getRequest<AuditedRequest>();
    const write = (outcome: string, result?: unknown) => this.write(action, request, outcome, result);
    return next.handle().pipe(
      mergeMap((result) => from(write('ok', result).then(() => result))),
      catchError((error: { code?: unknown }) =>
        from(write(typeof error?.code === 'string' ? error.code : 'error')).pipe(
          mergeMap(() => throwError(() => error)),
        ),
      ),
    );
  }

  private async write(
    action: AuditAction,
    request: AuditedRequest,
    outcome: string,
    result?: unknown,
  ): Promise<void> {
    const target =
      request.params.name ??
      request.params.tokenName ??
      (typeof request.body?.name === 'string' ? request.body.name : 'modules');
    const versionId =
      (result as { versionId?: string; activeVersionId?: string } | undefined)?.versionId ??
      (result as { activeVersionId?: string } | undefined)?.activeVersionId ??
      (typeof request.body?.versionId === 'string' ? request.body.versionId : undefined);
    try {
      await this.audit.write({
        actor: request.actor ? actorLabel(request.actor) : 'anonymous',
        action,
        target,
        outcome,
        ...(versionId ? { details: { versionId } } : {}),
      });
    } catch (error) {
      // The action itself has happened; losing its audit row is logged loudly rather than failing it.
      this.logger.error(`audit write failed for ${action} on ${target}: ${(error as Error).message}`);
    }
  }
}
