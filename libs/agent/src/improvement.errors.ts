import { DomainError } from '@seed/errors';

export type ImprovementErrorCode = 'improvement_not_found' | 'improvement_finished' | 'improvement_running';

export class ImprovementError extends DomainError<ImprovementErrorCode> {}
