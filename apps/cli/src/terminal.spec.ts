/* eslint-disable no-control-regex -- the cases are control characters */
import { isLoopback, parseServerUrl } from './endpoint';
import { safeJson, safeText } from './terminal';

describe('safeText', () => {
  it.each([
    ['\u001b[31mred\u001b[0m', 'red'],
    ['title\u001b]0;pwned\u0007 after', 'title after'],
    ['link \u001b]8;;https://evil\u001b\\here\u001b]8;;\u001b\\', 'link here'],
    ['csi \u009b2J c1', 'csi 2J c1'],
    ['over\rwrite\u0008\u007f', 'overwrite'],
    ['lines\n\tkept', 'lines\n\tkept'],
  ])('%j → %j', (input, output) => {
    expect(safeText(input)).toBe(output);
  });
});

describe('safeJson', () => {
  it('escapes DEL and C1 characters and stays parseable', () => {
    const json = safeJson({ s: 'a\u009b2J\u007f\u001b[0m' });
    expect(json).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(JSON.parse(json)).toEqual({ s: 'a\u009b2J\u007f\u001b[0m' });
  });
});

describe('parseServerUrl', () => {
  it.each([
    'http://127.0.0.1:4000',
    'http://localhost:4000',
    'http://[::1]:4000',
    'https://seed.example.com/api',
  ])('accepts %s', (url) => expect(parseServerUrl(url).href.startsWith(url)).toBe(true));
  it.each([
    ['http://seed.example.com', /refusing plain http/],
    ['http://10.0.0.1:4000', /refusing plain http/],
    ['http://127.0.0.1.evil.com', /refusing plain http/],
    ['ftp://seed.example.com', /not supported/],
    ['https://user:pw@seed.example.com', /no credentials/],
    ['seed.example.com', /not a URL/],
  ])('refuses %s', (url, message) => {
    expect(() => parseServerUrl(url)).toThrow(message);
  });
  it('knows loopback names', () => {
    expect([isLoopback('127.8.9.10'), isLoopback('app.localhost'), isLoopback('128.0.0.1')]).toEqual([
      true,
      true,
      false,
    ]);
  });
});
