import {
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, AppConfig } from '@seed/config';
import { catchError, Observable, throwError, timeout, TimeoutError } from 'rxjs';
import { ApiError } from './api-error.js';

export const NO_TIMEOUT_KEY = 'seed:no-timeout';
/** For long-lived responses (server-sent events). */
export const NoTimeout = () => SetMetadata(NO_TIMEOUT_KEY, true);

/** No handler may hold a request longer than REQUEST_TIMEOUT: the client gets a 503 instead of a hang. */
@Injectable()
export class RequestTimeoutInterceptor implements NestInterceptor {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.reflector.get<boolean>(NO_TIMEOUT_KEY, context.getHandler())) return next.handle();
    const ms = this.config.http.requestTimeoutMs;
    return next.handle().pipe(
      timeout(ms),
      catchError((error: unknown) =>
        throwError(() =>
          error instanceof TimeoutError
            ? new ApiError(503, 'request_timeout', `the request took longer than ${ms} ms`)
            : error,
        ),
      ),
    );
  }
}
