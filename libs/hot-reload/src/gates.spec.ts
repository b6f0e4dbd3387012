import { activationDecision, jsonEqual, validateSource } from './gates';

describe('gates', () => {
  describe('validateSource', () => {
    const ok = 'export default (input: number) => input + 1;';
    it('accepts a plain module', () => expect(validateSource(ok, 1000)).toEqual([]));
    it('rejects empty and oversized sources', () => {
      expect(validateSource('  ', 1000).map((d) => d.message)).toContain('source is empty');
      expect(validateSource(ok, 10)[0].message).toMatch(/limit is 10/);
    });
    it('rejects imports and requires with their position', () => {
      const [d] = validateSource("const x = 1;\nimport fs from 'fs';\nexport default () => 1;", 1000);
      expect(d).toMatchObject({ line: 2, column: 1 });
      expect(validateSource("export default () => require('fs');", 1000)[0].message).toMatch(/require/);
      expect(validateSource("export default async () => import('fs');", 1000)[0].message).toMatch(/import/);
    });
    it('ignores the words in strings and comments', () => {
      expect(validateSource("// import x from 'y'\nexport default () => 'require(x)';", 1000)).toEqual([]);
    });
    it('requires a default export', () => {
      expect(validateSource('export const x = 1;', 1000)[0].message).toMatch(/default export/);
    });
  });

  it('compares JSON ignoring key order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(jsonEqual(null, {})).toBe(false);
  });

  it('decides activation by policy', () => {
    const base = { activateRequested: true, dryRun: false, authorRole: 'admin', settings: {} };
    expect(activationDecision(base)).toBe('activate');
    expect(activationDecision({ ...base, dryRun: true })).toBe('never');
    expect(activationDecision({ ...base, activateRequested: false })).toBe('hold');
    expect(activationDecision({ ...base, settings: { autoActivate: false } })).toBe('hold');
    expect(activationDecision({ ...base, authorRole: 'agent', settings: { requireApproval: true } })).toBe(
      'hold',
    );
    expect(activationDecision({ ...base, authorRole: 'admin', settings: { requireApproval: true } })).toBe(
      'activate',
    );
  });
});
