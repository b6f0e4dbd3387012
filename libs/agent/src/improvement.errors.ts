import { DomainError } from '@seed/errors';

export type ImprovementErrorCode = 'improvement_not_found' | 'improvement_finished';

export class ImprovementError extends DomainError<ImprovementErrorCode> {}
