import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** Accounts of the test provider: login → claims (any password is taken). */
export type OidcTestAccounts = Record<string, Record<string, unknown>>;

/** A running oidc-provider (test/support/oidc-provider.mjs) in a child process. */
export interface OidcTestProvider {
  issuer: string;
  stop(): Promise<void>;
}

/** Starts a real OpenID Provider with one confidential client; resolves once it listens. */
export function startOidcProvider(config: {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  postLogoutRedirectUri: string;
  accounts: OidcTestAccounts;
}): Promise<OidcTestProvider> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(__dirname, 'oidc-provider.mjs'), JSON.stringify(config)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`oidc-provider exited (${code}): ${stderr}`)));
    child.stdout!.on('data', (d: Buffer) => {
      const port = /listening (\d+)/.exec(d.toString())?.[1];
      if (!port) return;
      resolve({
        issuer: `http://127.0.0.1:${port}`,
        stop: () =>
          new Promise<void>((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.kill();
          }),
      });
    });
  });
}
