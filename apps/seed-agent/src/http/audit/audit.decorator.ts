import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { AUDIT_KEY, AuditInterceptor, type AuditAction } from './audit.interceptor.js';

export { AUDIT_KEY, type AuditAction };

/** Marks a state-changing route: its every outcome is written to audit_log. Reads and invocations are not. */
export const Audit = (action: AuditAction) =>
  applyDecorators(SetMetadata(AUDIT_KEY, action), UseInterceptors(AuditInterceptor));
