import { hashSecret } from '@seed/config';
import { LAST_USE_WRITE_MS, TokenRegistry } from './token-registry';

const runtime = (name: string) => ({
  name,
  role: 'viewer' as const,
  sha256: hashSecret(`${name}-secret-0123456789`),
});

describe('TokenRegistry', () => {
  it('finds bootstrap and runtime tokens by secret, and drops a revoked one at once', () => {
    const registry = new TokenRegistry([
      { name: 'boot', role: 'admin', sha256: hashSecret('boot-secret-0123456789') },
    ]);
    expect(registry.replaceRuntime([runtime('ci')], registry.snapshot())).toBe(true);
    expect(registry.find('boot-secret-0123456789')?.name).toBe('boot');
    expect(registry.find('ci-secret-0123456789')).toMatchObject({ name: 'ci', runtime: true });
    expect(registry.find('')).toBeUndefined();
    registry.forget('ci');
    expect(registry.find('ci-secret-0123456789')).toBeUndefined();
  });

  it('refuses a load that started before a revocation, which may still hold the revoked token', () => {
    const registry = new TokenRegistry([]);
    const snapshot = registry.snapshot();
    registry.forget('ci');
    expect(registry.replaceRuntime([runtime('ci')], snapshot)).toBe(false);
    expect(registry.find('ci-secret-0123456789')).toBeUndefined();
  });

  it('records a runtime token use at most once a minute, and never a bootstrap one', () => {
    const registry = new TokenRegistry([
      { name: 'boot', role: 'admin', sha256: hashSecret('boot-secret-0123456789') },
    ]);
    const recorded: string[] = [];
    registry.recordUse = (name) => recorded.push(name);
    registry.replaceRuntime([runtime('ci')], registry.snapshot());
    const ci = registry.find('ci-secret-0123456789')!;
    registry.used(ci, 0);
    registry.used(ci, LAST_USE_WRITE_MS - 1);
    registry.used(registry.find('boot-secret-0123456789')!, 0);
    registry.used(ci, LAST_USE_WRITE_MS);
    expect(recorded).toEqual(['ci', 'ci']);
  });
});
