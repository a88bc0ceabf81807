import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** PEM files of a test PKI, and their contents for Node's TLS options. */
export interface TestPki {
  dir: string;
  caFile: string;
  caPem: string;
  /** A CA that signed nothing here: clients trusting only it must refuse the server. */
  otherCaPem: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** A client certificate (CN `auditkit-client`) signed by the CA, for mutual TLS. */
  clientCertPem: string;
  clientKeyPem: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function issue(dir: string, name: string, cn: string, ext: string): void {
  openssl(
    dir,
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`].concat([
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    ]),
  );
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(
    dir,
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem'].concat([
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ]),
  );
}

/**
 * Makes a CA, a server certificate for `localhost`/127.0.0.1, a client certificate and an
 * unrelated CA in `dir`, with the `openssl` CLI (as an operator would).
 */
export function makeTestPki(dir: string): TestPki {
  for (const ca of ['ca', 'other-ca'])
    openssl(
      dir,
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}-key.pem`].concat([
        '-out',
        `${ca}.pem`,
        '-days',
        '2',
        '-subj',
        `/CN=AuditKit test ${ca}`,
      ]),
    );
  issue(
    dir,
    'server',
    'localhost',
    [
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
    ].join('\n'),
  );
  issue(
    dir,
    'client',
    'auditkit-client',
    [
      'subjectAltName=DNS:auditkit-client',
      'basicConstraints=CA:FALSE',
      'keyUsage=digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
    ].join('\n'),
  );
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    caPem: read('ca.pem'),
    otherCaPem: read('other-ca.pem'),
    serverCertFile: join(dir, 'server.pem'),
    serverKeyFile: join(dir, 'server-key.pem'),
    clientCertPem: read('client.pem'),
    clientKeyPem: read('client-key.pem'),
  };
}
