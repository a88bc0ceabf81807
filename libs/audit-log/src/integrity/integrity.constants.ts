/** Signed checkpoints of each org's chain (docs/integrity.md). */
export const CHECKPOINTS_TABLE = 'auditkit_checkpoints';
