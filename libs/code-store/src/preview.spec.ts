import { isPreview, previewJson, previewText, previewValue, truncateUtf8, utf8Bytes } from './preview';

describe('previews of untrusted values', () => {
  it('cuts UTF-8 at a character boundary, never inside one', () => {
    expect(truncateUtf8('aé€😀', 1)).toBe('a');
    expect(truncateUtf8('aé€😀', 2)).toBe('a'); // é is 2 bytes
    expect(truncateUtf8('aé€😀', 3)).toBe('aé');
    expect(truncateUtf8('aé€😀', 8)).toBe('aé€'); // 😀 is 4 bytes
    expect(truncateUtf8('aé€😀', 10)).toBe('aé€😀');
    for (let n = 0; n < 12; n++) {
      const cut = truncateUtf8('😀é😀€x'.repeat(3), n);
      expect(utf8Bytes(cut)).toBeLessThanOrEqual(n);
      expect(cut).not.toMatch(/\uFFFD/);
    }
  });

  it('keeps a value whose JSON fits, and replaces a larger one by its beginning and full size', () => {
    expect(previewValue({ a: [1, 2] }, 64)).toEqual({ a: [1, 2] });
    expect(previewValue(undefined, 64)).toBeUndefined();
    const big = { text: '€'.repeat(400_000) };
    const preview = previewValue(big, 2048);
    expect(preview).toEqual({
      preview: expect.any(String),
      bytes: utf8Bytes(JSON.stringify(big)),
      truncated: true,
    });
    expect(isPreview(preview)).toBe(true);
    expect(utf8Bytes((preview as { preview: string }).preview)).toBeLessThanOrEqual(2048);
    expect((preview as { preview: string }).preview.startsWith('{"text":"€€')).toBe(true);
    // a preview is not previewed again
    expect(previewValue(preview, 16)).toBe(preview);
  });

  it('notes the full size after a cut string, and shows a stored preview as text', () => {
    expect(previewText('short', 10)).toBe('short');
    expect(previewText('x'.repeat(5000), 100)).toBe(`${'x'.repeat(100)}… (5000 bytes, truncated)`);
    expect(previewJson({ preview: '{"a":', bytes: 900, truncated: true }, 100)).toBe(
      '{"a":… (900 bytes, truncated)',
    );
    expect(previewJson([1, 2], 100)).toBe('[1,2]');
  });
});
