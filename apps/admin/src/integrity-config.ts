import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  AuditIntegrityOptions,
  FileCheckpointWitness,
  SigningKeyError,
  SigningKeys,
  WebhookCheckpointWitness,
} from '@auditkit/nestjs';
import { ConfigError, int, url } from './env';

/** How the admin app signs checkpoints and where it hands them (docs/integrity.md). */
export interface IntegrityConfig {
  /** PKCS#8 PEM of the Ed25519 signing key. */
  signingKey: string;
  /** Where it came from: `AUDITKIT_SIGNING_KEY_FILE`, or made once under the data directory. */
  signingKeyFile: string;
  previousPublicKeys: string[];
  witnessDir?: string;
  witnessUrl?: string;
  witnessSecret?: string;
  checkpointEveryEvents: number;
  checkpointEveryMinutes: number;
}

const PEM_BLOCK = /-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g;

function readFile(name: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code})`);
  }
}

/**
 * Reads the integrity settings. The signing key never goes into the audit database: it is a
 * file of its own (`AUDITKIT_SIGNING_KEY_FILE`, required in production); in development one is
 * made once under the data directory, as the JWT secret is.
 */
export function loadIntegrityConfig(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  production: boolean,
): IntegrityConfig {
  let signingKeyFile = env.AUDITKIT_SIGNING_KEY_FILE || '';
  if (!signingKeyFile && production) {
    throw new ConfigError('AUDITKIT_SIGNING_KEY_FILE is required when NODE_ENV=production');
  }
  if (!signingKeyFile) signingKeyFile = devSigningKey(dataDir);
  const signingKey = readFile('AUDITKIT_SIGNING_KEY_FILE', signingKeyFile);
  const previousFile = env.AUDITKIT_PREVIOUS_PUBLIC_KEYS_FILE || '';
  const previousPublicKeys = previousFile
    ? (readFile('AUDITKIT_PREVIOUS_PUBLIC_KEYS_FILE', previousFile).match(PEM_BLOCK) ?? [])
    : [];
  if (previousFile && previousPublicKeys.length === 0) {
    throw new ConfigError('AUDITKIT_PREVIOUS_PUBLIC_KEYS_FILE holds no PEM public key');
  }
  try {
    new SigningKeys(signingKey, previousPublicKeys);
  } catch (err) {
    if (!(err instanceof SigningKeyError)) throw err;
    const name = /previous/.test(err.message)
      ? 'AUDITKIT_PREVIOUS_PUBLIC_KEYS_FILE'
      : 'AUDITKIT_SIGNING_KEY_FILE';
    throw new ConfigError(`${name}: ${err.message}`);
  }
  const witnessUrl = url(env, 'AUDITKIT_WITNESS_URL', ['https:', 'http:']);
  const witnessSecret = env.AUDITKIT_WITNESS_SECRET || undefined;
  if (witnessUrl && !witnessSecret) {
    throw new ConfigError('AUDITKIT_WITNESS_SECRET is required with AUDITKIT_WITNESS_URL');
  }
  if (witnessUrl) {
    try {
      new WebhookCheckpointWitness({ url: witnessUrl, secret: witnessSecret! });
    } catch (err) {
      throw new ConfigError(`AUDITKIT_WITNESS_URL: ${(err as Error).message}`);
    }
  }
  return {
    signingKey,
    signingKeyFile,
    previousPublicKeys,
    witnessDir: env.AUDITKIT_WITNESS_DIR || undefined,
    witnessUrl,
    witnessSecret,
    checkpointEveryEvents: int(env, 'AUDITKIT_CHECKPOINT_EVERY_EVENTS', 1000, 1, 10_000_000),
    checkpointEveryMinutes: int(env, 'AUDITKIT_CHECKPOINT_EVERY_MINUTES', 10, 1, 10_080),
  };
}

/** The library's integrity options from the configuration. */
export function integrityOptions(c: IntegrityConfig, schedule: boolean): AuditIntegrityOptions {
  const witnesses = [];
  if (c.witnessDir) witnesses.push(new FileCheckpointWitness(c.witnessDir));
  if (c.witnessUrl)
    witnesses.push(new WebhookCheckpointWitness({ url: c.witnessUrl, secret: c.witnessSecret! }));
  return {
    signingKey: c.signingKey,
    previousPublicKeys: c.previousPublicKeys,
    checkpointEveryEvents: c.checkpointEveryEvents,
    checkpointEveryMinutes: c.checkpointEveryMinutes,
    witnesses,
    schedule,
  };
}

function devSigningKey(dataDir: string): string {
  const file = join(dataDir, 'signing-key.pem');
  if (existsSync(file)) return file;
  mkdirSync(dirname(file), { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
      flag: 'wx',
    });
  } catch (err) {
    // Another process made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return file;
}
