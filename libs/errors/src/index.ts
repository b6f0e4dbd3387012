export { DomainError } from './domain-error.js';
export { TimeoutError, withTimeout, type TimeoutErrorCode } from './with-timeout.js';
