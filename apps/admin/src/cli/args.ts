import { parseArgs, ParseArgsConfig } from 'node:util';

/** A mistake in the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export type ParsedArgs = Record<string, string | boolean | undefined>;

/** Parses a command's options strictly: an unknown option or a stray word is a UsageError. */
export function parseOptions(
  args: string[],
  options: ParseArgsConfig['options'],
  positionals = false,
): { values: ParsedArgs; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: positionals });
    return { values: parsed.values as ParsedArgs, positionals: parsed.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const ORG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function need(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

export function org(value: string | undefined): string {
  const id = need(value, '--org');
  if (!ORG.test(id))
    throw new UsageError('--org may hold only letters, digits, ".", "_" and "-" (at most 64)');
  return id;
}

export function ttlSeconds(value: string): number {
  const m = /^(\d+)([smhd])$/.exec(value);
  if (!m || Number(m[1]) === 0) throw new UsageError('--ttl must look like 30m, 1h or 7d');
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

export function positive(value: string | undefined, flag: string, max: number): number {
  const raw = need(value, flag);
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max)
    throw new UsageError(`${flag} must be a whole number from 1 to ${max}`);
  return Number(raw);
}
