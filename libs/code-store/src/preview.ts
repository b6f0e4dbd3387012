/**
 * Bounded previews of untrusted values (module output, inputs, error messages) for every copy kept outside
 * the invoke answer: test reports, diagnostics, job results, bus events, prompts. Pure; sizes are UTF-8 bytes.
 */

/** Stands in for a value whose JSON is larger than the bound: its beginning and its full size. */
export interface Preview {
  preview: string;
  bytes: number;
  truncated: true;
}

/** The longest beginning of `text` that fits in `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  // Each UTF-16 unit is at most 3 bytes (a surrogate pair, 2 units, is 4): short strings need no encoding.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let end = Math.max(0, maxBytes);
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--; // back off a continuation byte
  return bytes.subarray(0, end).toString('utf8');
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** A string kept whole when it fits; otherwise its beginning and a note of its full size. */
export function previewText(text: string, maxBytes: number): string {
  if (text.length * 3 <= maxBytes) return text;
  const bytes = utf8Bytes(text);
  if (bytes <= maxBytes) return text;
  return `${truncateUtf8(text, maxBytes)}… (${bytes} bytes, truncated)`;
}

/**
 * A JSON value kept as it is when its JSON fits in `maxBytes`, so small values stay values; otherwise a
 * {@link Preview} of its JSON text. A value that is already a preview is kept.
 */
export function previewValue(value: unknown, maxBytes: number): unknown {
  if (value === undefined || isPreview(value)) return value;
  const json = jsonText(value);
  const bytes = utf8Bytes(json);
  if (bytes <= maxBytes) return value;
  return { preview: truncateUtf8(json, maxBytes), bytes, truncated: true } satisfies Preview;
}

/** JSON text of a value for a message or a prompt, bounded like {@link previewText}. */
export function previewJson(value: unknown, maxBytes: number): string {
  if (isPreview(value)) return `${value.preview}… (${value.bytes} bytes, truncated)`;
  return previewText(jsonText(value), maxBytes);
}

export function isPreview(value: unknown): value is Preview {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Preview>;
  return v.truncated === true && typeof v.preview === 'string' && typeof v.bytes === 'number';
}

function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value ?? null) ?? 'null';
  } catch {
    return String(value); // not JSON (a cycle, a bigint): its text is preview enough
  }
}
