/**
 * HeadSigner with a local ECC P-256 key (node:crypto) for the local stack, which has no KMS. The key is a
 * PKCS#8 PEM file created on first use; signatures are DER ECDSA over SHA-256, as KMS's ECDSA_SHA_256
 * gives, so one verifier checks both. Its key id is `local:<sha256 of the public key, 16 hex>`.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HeadSigner } from '../ports.js';

export function localSigningKey(keyFile: string): {
  keyId: string;
  publicKeyDer: Buffer;
  privatePem: string;
} {
  if (!fs.existsSync(keyFile)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    fs.mkdirSync(path.dirname(keyFile), { recursive: true });
    // `wx`: two processes creating it at once keep the first key.
    try {
      fs.writeFileSync(keyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }), {
        flag: 'wx',
        mode: 0o600,
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const privatePem = fs.readFileSync(keyFile, 'utf8');
  const publicKeyDer = createPublicKey(createPrivateKey(privatePem)).export({ format: 'der', type: 'spki' });
  const keyId = `local:${createHash('sha256').update(publicKeyDer).digest('hex').slice(0, 16)}`;
  return { keyId, publicKeyDer, privatePem };
}

export function createLocalHeadSigner(keyFile: string): HeadSigner {
  const key = localSigningKey(keyFile);
  const privateKey = createPrivateKey(key.privatePem);
  return {
    keyId: key.keyId,
    sign: async (message) => sign('sha256', message, privateKey),
    publicKey: async () => key.publicKeyDer,
  };
}
