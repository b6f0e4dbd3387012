import { randomBytes } from 'node:crypto';
import { keyId, SecretBox } from './secret-box.js';

const key = () => randomBytes(32).toString('hex');

describe('SecretBox', () => {
  it('seals and opens, bound to module and name', () => {
    const box = new SecretBox(key());
    const { keyId: id, sealed } = box.seal('s3cr3t', 'm1', 'TOKEN');
    expect(sealed.includes(Buffer.from('s3cr3t'))).toBe(false);
    expect(box.open(id, sealed, 'm1', 'TOKEN')).toBe('s3cr3t');
    expect(box.open(id, sealed, 'm2', 'TOKEN')).toBeUndefined();
    expect(box.open(id, sealed, 'm1', 'OTHER')).toBeUndefined();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(box.open(id, tampered, 'm1', 'TOKEN')).toBeUndefined();
  });

  it('opens what the previous key sealed during a rotation, and seals with the new one', () => {
    const old = key();
    const sealedBefore = new SecretBox(old).seal('v', 'm', 'N');
    const rotated = new SecretBox(key(), old);
    expect(rotated.open(sealedBefore.keyId, sealedBefore.sealed, 'm', 'N')).toBe('v');
    expect(rotated.seal('v', 'm', 'N').keyId).toBe(rotated.currentId);
    expect(rotated.currentId).not.toBe(keyId(old));
    expect(new SecretBox(key()).open(sealedBefore.keyId, sealedBefore.sealed, 'm', 'N')).toBeUndefined();
  });
});
