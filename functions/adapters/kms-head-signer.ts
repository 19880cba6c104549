/**
 * HeadSigner on an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY): KMS signs with ECDSA_SHA_256 and
 * returns a DER signature; the private key never leaves KMS. Verifiers take the public key from
 * GetPublicKey (DER SubjectPublicKeyInfo) and check with any ECDSA library.
 */
import { GetPublicKeyCommand, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { HeadSigner } from '../ports.js';

export function createKmsHeadSigner(client: KMSClient, keyId: string): HeadSigner {
  return {
    keyId,
    async sign(message) {
      const response = await client.send(
        new SignCommand({
          KeyId: keyId,
          Message: message,
          MessageType: 'RAW',
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      if (!response.Signature) throw new Error('KMS returned no signature');
      return Buffer.from(response.Signature);
    },
    publicKey: () => kmsPublicKey(client, keyId),
  };
}

export async function kmsPublicKey(client: KMSClient, keyId: string): Promise<Buffer> {
  const response = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  if (!response.PublicKey) throw new Error(`KMS returned no public key for ${keyId}`);
  return Buffer.from(response.PublicKey);
}
