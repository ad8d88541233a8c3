// Test tooling (Node): a throwaway certificate authority and 127.0.0.1/localhost server certificate, made fresh at every simulator start.
import { webcrypto, randomBytes } from 'node:crypto';
import { installReflectMetadata } from './reflect-shim';

export interface SimulatorTls {
  /** PEM of the CA certificate: the only thing a client needs to trust the simulator. */
  caPem: string;
  /** PEM of the server certificate (leaf only; the CA is not sent, clients must already hold it). */
  certPem: string;
  /** PKCS#8 PEM of the server's private key. */
  keyPem: string;
}

const ecdsa = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

type X509Module = typeof import('@peculiar/x509');
let x509Loaded: Promise<X509Module> | undefined;

// Loaded lazily: the Reflect shim must be in place before tsyringe (inside @peculiar/x509) evaluates.
function loadX509(): Promise<X509Module> {
  if (!x509Loaded) {
    installReflectMetadata();
    x509Loaded = import('@peculiar/x509').then((x509) => {
      x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
      return x509;
    });
  }
  return x509Loaded;
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  // A positive serial: DER integers with the top bit set would read as negative.
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Generates a new CA and a server certificate for 127.0.0.1 and localhost, valid for a week. */
export async function generateSimulatorTls(): Promise<SimulatorTls> {
  const x509 = await loadX509();
  const subtle = webcrypto.subtle;
  // Backdated an hour so a client whose clock runs slightly behind still accepts it.
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(Date.now() + 7 * 24 * 60 * 60 * 1000);
  const runId = randomBytes(4).toString('hex');

  const caKeys = (await subtle.generateKey(ecdsa, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=Peregrine Simulator Test CA ${runId}, O=Peregrine test tooling`,
    notBefore,
    notAfter,
    signingAlgorithm: ecdsa,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const serverKeys = (await subtle.generateKey(ecdsa, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const serverCert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: 'CN=127.0.0.1',
    issuer: caCert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ecdsa,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(serverKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });

  const pkcs8 = await subtle.exportKey('pkcs8', serverKeys.privateKey);
  return {
    caPem: caCert.toString('pem') + '\n',
    certPem: serverCert.toString('pem') + '\n',
    keyPem: toPem(pkcs8, 'PRIVATE KEY'),
  };
}
