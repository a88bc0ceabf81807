/** Limits of the `email` and `name` claims (docs/api.md section 3). */
export const CLAIM_LIMITS = {
  /** Longest `email` claim (RFC 5321: 64 for the local part, 255 for the domain). */
  email: 320,
  /** Longest local part of an `email` claim. */
  emailLocalPart: 64,
  /** Longest `name` claim. */
  name: 256,
} as const;

// C0 and C1 controls, DEL, the Unicode line and paragraph separators (anything that can end a
// line in a header, a text part or a log), the bidi marks and overrides that make text read
// otherwise than it is stored, and lone surrogates (not text, and not storable as utf8mb4).
const CONTROL = /[\p{Cc}\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]/u;

// One RFC 5322 addr-spec in its dot-atom form, with UTF-8 letters allowed (RFC 6531): no quoted
// local part, no comments, no display name, no list. The characters that separate or wrap
// addresses (`,` `;` `<` `>` `"` `(` `)` `[` `]` `\` `:` and spaces) are not atext.
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\u0080-\\uffff-]+";
const LABEL =
  '[A-Za-z0-9\\u0080-\\uffff](?:[A-Za-z0-9\\u0080-\\uffff-]*[A-Za-z0-9\\u0080-\\uffff])?';
const ADDR_SPEC = new RegExp(`^(${ATOM}(?:\\.${ATOM})*)@(${LABEL}(?:\\.${LABEL})*)$`);

/**
 * Whether `value` is exactly one e-mail address: `local@domain`, at most
 * {@link CLAIM_LIMITS.email} characters, no list, no display name, no whitespace or controls.
 */
export function isValidEmailClaim(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > CLAIM_LIMITS.email) return false;
  if (CONTROL.test(value)) return false;
  const match = ADDR_SPEC.exec(value);
  return !!match && match[1].length <= CLAIM_LIMITS.emailLocalPart && match[2].length <= 255;
}

/**
 * Whether `value` is a display name fit for an e-mail: one line of at most
 * {@link CLAIM_LIMITS.name} characters, without control characters (so no CR or LF).
 */
export function isValidNameClaim(value: unknown): value is string {
  return typeof value === 'string' && value.length <= CLAIM_LIMITS.name && !CONTROL.test(value);
}

/** Roles as a token or a host gives them, without blank ones: a blank string is no role. */
export function nonBlankRoles(roles: readonly unknown[]): string[] {
  return roles.filter((r): r is string => typeof r === 'string' && r.trim() !== '');
}
