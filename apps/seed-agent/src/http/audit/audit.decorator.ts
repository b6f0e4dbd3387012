import { SetMetadata } from '@nestjs/common';

export type AuditAction =
  | 'create'
  | 'submit'
  | 'activate'
  | 'rollback'
  | 'settings'
  | 'tests.add'
  | 'tests.replace'
  | 'delete'
  | 'improve';

export const AUDIT_KEY = 'seed:audit';

/** Marks a state-changing route: its every outcome is written to audit_log. Reads and invocations are not. */
export const Audit = (action: AuditAction) => SetMetadata(AUDIT_KEY, action);
