import { capabilityGrantsSchema, originSchema } from './module-settings';

describe('grant origins', () => {
  it.each([
    ['https://api.example.com', 'https://api.example.com'],
    ['https://API.example.com:443/', 'https://api.example.com'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
  ])('keeps %s as the origin %s', (raw, origin) => {
    expect(originSchema.parse(raw)).toBe(origin);
  });

  it.each([
    ['ftp://files.example.com', 'must be http: or https:'],
    ['file:///etc/passwd', 'must be http: or https:'],
    ['https://api.example.com/v1', 'no path, query or fragment'],
    ['https://api.example.com/?q=1', 'no path, query or fragment'],
    ['https://user:pw@api.example.com', 'must not carry credentials'],
    ['not a url', 'is not a URL'],
  ])('refuses %s (%s)', (raw, why) => {
    const parsed = originSchema.safeParse(raw);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0].message).toContain(why);
  });

  it('applies to fetch grants', () => {
    expect(capabilityGrantsSchema.safeParse({ fetch: { origins: ['ftp://x'] } }).success).toBe(false);
    expect(
      capabilityGrantsSchema.parse({ fetch: { origins: ['https://a.example/'] } }).fetch?.origins,
    ).toEqual(['https://a.example']);
  });
});
