import { entryBytes, quotaRefusal } from './kv-quota.js';

describe('kv quota', () => {
  const quota = { maxKeys: 3, maxBytes: 100 };

  it('counts the UTF-8 bytes of the key and the value', () => {
    expect(entryBytes('k', '"v"')).toBe(4);
    expect(entryBytes('é', '"€"')).toBe(2 + 5);
  });

  it('admits an entry that fits beside the others', () => {
    expect(quotaRefusal({ keys: 0, bytes: 0 }, 100, quota)).toBeUndefined();
    expect(quotaRefusal({ keys: 2, bytes: 60 }, 40, quota)).toBeUndefined();
  });

  it('refuses an entry larger than the whole quota, whatever else is stored', () => {
    expect(quotaRefusal({ keys: 0, bytes: 0 }, 101, quota)).toBe(
      'the entry is 101 bytes, over the quota of 100',
    );
  });

  it('refuses a key more than maxKeys', () => {
    expect(quotaRefusal({ keys: 3, bytes: 0 }, 1, quota)).toBe('the module has 3 keys of 3');
  });

  it('refuses bytes past maxBytes, counting only the other entries (a rewrite replaces its own)', () => {
    expect(quotaRefusal({ keys: 1, bytes: 61 }, 40, quota)).toBe(
      "the module uses 61 bytes; this entry's 40 would pass 100",
    );
    expect(quotaRefusal({ keys: 1, bytes: 60 }, 40, quota)).toBeUndefined();
  });
});
