import { inspectJson } from './json-input';
import { parseJobId, parseModuleName, parseVersionRef } from './route-params';

/** `containers` arrays and objects, one inside the other. */
function nested(containers: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < containers; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

describe('inspectJson', () => {
  it('accepts ordinary JSON up to the depth bound, and refuses one level more', () => {
    expect(inspectJson({ name: 'ok', tests: [{ input: { n: 1 } }], emoji: '😀' }, 64)).toBeNull();
    expect(inspectJson(nested(64), 64)).toBeNull();
    expect(inspectJson(nested(65), 64)).toMatchObject({ kind: 'too_deep' });
  });

  it('walks values far deeper than the stack allows without overflowing', () => {
    expect(inspectJson(nested(200_000), 64)?.kind).toBe('too_deep');
  });

  it('refuses NUL and lone surrogates in values and keys, with their path', () => {
    expect(inspectJson({ tests: [{ name: 'a\u0000b' }] }, 64)).toMatchObject({
      kind: 'bad_string',
      path: ['tests', '0', 'name'],
    });
    expect(inspectJson({ input: '\ud800' }, 64)).toMatchObject({ kind: 'bad_string', path: ['input'] });
    expect(inspectJson({ ['k\udc00']: 1 }, 64)).toMatchObject({ kind: 'bad_string', path: ['k\udc00'] });
  });
});

describe('route parameters', () => {
  const uuid = '0b9a6a8e-3c1f-4c55-9a43-2f1f6f0c9d11';

  it('parses module names by the creation pattern', () => {
    expect(parseModuleName('doubler-2')).toBe('doubler-2');
    for (const bad of ['\u0000', 'Upper', '-x', 'a'.repeat(64), '', 'a b', 'é'])
      expect(() => parseModuleName(bad)).toThrow(/module name .* is invalid/);
  });

  it('parses version references (id, seq, active, latest) and job ids (version ids or agent-<uuid>)', () => {
    expect(parseVersionRef(uuid)).toEqual({ kind: 'id', id: uuid });
    expect(parseVersionRef(uuid.toUpperCase())).toEqual({ kind: 'id', id: uuid });
    expect(parseVersionRef('3')).toEqual({ kind: 'seq', seq: 3 });
    expect(parseVersionRef('active')).toEqual({ kind: 'active' });
    expect(parseVersionRef('latest')).toEqual({ kind: 'latest' });
    for (const bad of ['0', '01', '-1', '1.5', '99999999999', 'Active', 'parent', '', `${uuid}\u0000`])
      expect(() => parseVersionRef(bad)).toThrow(/version .* is invalid: a version id/);
    expect(parseJobId(uuid)).toBe(uuid);
    expect(parseJobId(`agent-${uuid}`)).toBe(`agent-${uuid}`);
    for (const bad of ['agent-', 'agent-1', 'pipeline-x', '\u0000'])
      expect(() => parseJobId(bad)).toThrow(/job id .* is invalid/);
  });
});
