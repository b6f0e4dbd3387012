import { ApiError } from './api-error.js';

/**
 * The pipeline's size gate, applied before a submission is stored or compiled: an oversized source is
 * refused at the door instead of being written, queued and rejected later.
 */
export function assertSourceSize(source: string, maxBytes: number): void {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes <= maxBytes) return;
  throw new ApiError(
    'source_too_large',
    `source is ${bytes} bytes; the limit is ${maxBytes} (PIPELINE_MAX_SOURCE_BYTES)`,
    { bytes, limit: maxBytes },
  );
}
