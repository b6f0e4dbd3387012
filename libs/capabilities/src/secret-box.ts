import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** A key's id: the first 16 hex characters of its SHA-256, so a ciphertext names the key that sealed it. */
export function keyId(keyHex: string): string {
  return createHash('sha256').update(Buffer.from(keyHex, 'hex')).digest('hex').slice(0, 16);
}

/**
 * AES-256-GCM with the current key (SECRETS_KEY) and, for reading during a rotation, the previous one. The module
 * and the secret's name are the associated data: a ciphertext moved to another module or name does not open.
 */
export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  readonly currentId: string;

  constructor(current: string, previous?: string) {
    this.currentId = keyId(current);
    this.keys.set(this.currentId, Buffer.from(current, 'hex'));
    if (previous) this.keys.set(keyId(previous), Buffer.from(previous, 'hex'));
  }

  seal(plaintext: string, moduleId: string, name: string): { keyId: string; sealed: Buffer } {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, iv);
    cipher.setAAD(aad(moduleId, name));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.currentId, sealed: Buffer.concat([iv, cipher.getAuthTag(), body]) };
  }

  /** The plaintext, or undefined when no key of this node opens it (or it was tampered with or moved). */
  open(id: string, sealed: Buffer, moduleId: string, name: string): string | undefined {
    const key = this.keys.get(id);
    if (!key || sealed.length < 28) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAAD(aad(moduleId, name));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

function aad(moduleId: string, name: string): Buffer {
  return Buffer.from(`seed-secret\0${moduleId}\0${name}`, 'utf8');
}
