import 'reflect-metadata';
import type { ParseArgsConfig } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import {
  AuditLogModule,
  AuditService,
  auditDataSourceOptions,
  runAuditLogMigrations,
} from '@auditkit/nestjs';
import { AdminSessionService, signAuditToken } from '@auditkit/nestjs/admin';
import { AuditRetentionModule, RetentionService } from '@auditkit/nestjs/retention';
import { need, org, parseOptions, positive, ttlSeconds, UsageError } from './cli/args';
import {
  checkpointCommand,
  cliAuditLogOptions,
  keysCommand,
  verifyCommand,
} from './cli/integrity.commands';
import { ConfigError, loadConfig } from './config';
import { demoEvents } from './seed-events';

const USAGE = `Usage: npm run auditkit -- <command> [options]

Commands:
  migrate                                   apply the schema migrations
  token --org <id> --role <role> [--sub u-1 --name "Jane Doe" --email jane@acme.test]
        [--scope events:write] [--ttl 1h]   print a signed token
  seed --org <id> --events <N> [--days 200] record demo activity in all five categories
  purge [--dry-run] [--now <ISO time> [--allow-future]]
                                            run the retention purge once (a --now later than
                                            the clock needs --allow-future, except --dry-run)
  verify --org <id> [--checkpoints DIR] [--json]
                                            check the org's chain against its signed
                                            checkpoints (and a witness directory); exit 0
                                            only when intact
  checkpoint --org <id>                     sign the org's chain head now
  keys [--pem]                              print the checkpoint public keys
  verify-export FILE.csv MANIFEST.json --public-key KEY   check a downloaded export offline
  sessions --sub <id> [--org <id>] [--revoke]
                                            count (or end) a user's admin UI sessions

Configured by the environment: DATABASE_URL, AUDITKIT_JWT_SECRET, AUDITKIT_RETENTION_DAYS,
AUDITKIT_SIGNING_KEY_FILE, AUDITKIT_WITNESS_DIR (see README and docs/).`;

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // Offline: no database, no configuration, nothing written; so before loadConfig().
  if (command === 'verify-export')
    return (await import('./cli/verify-export.command')).verifyExport(rest);
  const config = loadConfig();
  const parse = (options: ParseArgsConfig['options']) => parseOptions(rest, options).values;
  switch (command) {
    case 'migrate': {
      parse({});
      const ds = await new DataSource(auditDataSourceOptions(config.databaseUrl)).initialize();
      try {
        const applied = await runAuditLogMigrations(ds);
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Schema is up to date');
      } finally {
        await ds.destroy();
      }
      return 0;
    }
    case 'token': {
      const v = parse({
        org: { type: 'string' },
        role: { type: 'string' },
        sub: { type: 'string' },
        name: { type: 'string' },
        email: { type: 'string' },
        scope: { type: 'string' },
        ttl: { type: 'string' },
      });
      const orgId = org(v.org as string);
      const role = need(v.role as string, '--role');
      if (!/^[a-z][a-z0-9-]{0,63}$/.test(role))
        throw new UsageError('--role must look like org-admin or site-admin');
      if (v.email !== undefined && !/^[^@\s]+@[^@\s]+$/.test(v.email as string))
        throw new UsageError('--email is not an e-mail address');
      if (v.scope !== undefined && !/^[a-z:_ -]+$/.test(v.scope as string))
        throw new UsageError('--scope must be space-separated scopes like events:write');
      const token = await signAuditToken(
        {
          sub: (v.sub as string) ?? 'u-cli',
          name: v.name as string | undefined,
          email: v.email as string | undefined,
          orgs: { [orgId]: [role] },
          scope: v.scope as string | undefined,
        },
        config.jwtSecret!,
        ttlSeconds((v.ttl as string) ?? '1h'),
      );
      console.log(token);
      return 0;
    }
    case 'seed': {
      const v = parse({
        org: { type: 'string' },
        events: { type: 'string' },
        days: { type: 'string' },
      });
      const orgId = org(v.org as string);
      const count = positive(v.events as string, '--events', 10_000_000);
      const days = v.days === undefined ? 200 : positive(v.days as string, '--days', 36500);
      const context = await NestFactory.createApplicationContext(
        // One batch at a time: two concurrent batches race for the org's lock, and the later
        // events could take the lower seqs. Seeded history spans months, and retention purges a
        // chain's prefix, so seq order must follow time order here.
        AuditLogModule.forRoot({ ...cliAuditLogOptions(config), writer: { concurrency: 1 } }),
        { logger: ['error', 'warn'] },
      );
      try {
        const audit = context.get(AuditService);
        let pending: Promise<unknown>[] = [];
        let done = 0;
        for (const event of demoEvents(orgId, count, days, Date.now(), Date.now() % 100000)) {
          pending.push(audit.record(event));
          // Enough in flight to fill the writer's batches, without holding N promises.
          if (pending.length >= 2000) {
            await Promise.all(pending);
            done += pending.length;
            pending = [];
          }
        }
        await Promise.all(pending);
        done += pending.length;
        console.log(`Recorded ${done} events for ${orgId} over ${days} days`);
      } finally {
        await context.close();
      }
      return 0;
    }
    case 'purge': {
      const v = parse({
        'dry-run': { type: 'boolean' },
        now: { type: 'string' },
        'allow-future': { type: 'boolean' },
      });
      let now: Date | undefined;
      if (v.now !== undefined) {
        now = new Date(v.now as string);
        if (Number.isNaN(now.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(v.now as string))
          throw new UsageError('--now must be an ISO 8601 time');
        // A purge "in the future" removes events before their retention is over; a dry run
        // removes nothing, so it may look ahead.
        if (now.getTime() > Date.now() && !v['dry-run'] && !v['allow-future'])
          throw new UsageError(
            `--now ${v.now as string} is later than the current time; a purge then removes ` +
              'events before they are due. Add --allow-future if that is what you mean',
          );
      } else if (v['allow-future']) {
        throw new UsageError('--allow-future needs --now');
      }
      const context = await NestFactory.createApplicationContext(
        {
          module: class PurgeModule {},
          imports: [
            AuditLogModule.forRoot({ ...cliAuditLogOptions(config), isGlobal: true }),
            AuditRetentionModule.forRoot({ retentionDays: config.retentionDays, schedule: false }),
          ],
        },
        { logger: ['error', 'warn'] },
      );
      try {
        const results = await context
          .get(RetentionService)
          .purge({ now, dryRun: v['dry-run'] === true });
        const verb = v['dry-run'] ? 'would remove' : 'removed';
        if (!results.length) console.log(`Nothing older than ${config.retentionDays} days`);
        for (const r of results)
          console.log(`${r.orgId}: ${verb} ${r.events} events (${r.terms} search terms)`);
      } finally {
        await context.close();
      }
      return 0;
    }
    case 'verify':
      return verifyCommand(config, rest);
    case 'checkpoint':
      return checkpointCommand(config, rest);
    case 'keys':
      return keysCommand(config, rest);
    case 'sessions': {
      const v = parse({
        sub: { type: 'string' },
        org: { type: 'string' },
        revoke: { type: 'boolean' },
      });
      const sub = need(v.sub as string, '--sub');
      const orgId = v.org === undefined ? undefined : org(v.org as string);
      const ds = await new DataSource(auditDataSourceOptions(config.databaseUrl)).initialize();
      try {
        await runAuditLogMigrations(ds);
        const sessions = new AdminSessionService(ds);
        const scope = orgId ? ` in ${orgId}` : '';
        if (v.revoke) {
          const ended = await sessions.endAllOf(sub, orgId);
          console.log(`${sub}: ended ${ended} session${ended === 1 ? '' : 's'}${scope}`);
        } else {
          const live = await sessions.countOf(sub, orgId);
          console.log(`${sub}: ${live} active session${live === 1 ? '' : 's'}${scope}`);
        }
      } finally {
        await ds.destroy();
      }
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError || err instanceof ConfigError) {
      console.error(`auditkit: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`auditkit: ${(err as Error).message}`);
    process.exit(1);
  },
);
