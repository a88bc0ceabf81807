import type { Request } from 'express';

/** The caller, as the demo auth guard puts it on `req.user` (what the audit log's actor reads). */
export interface DemoUser {
  id: string;
  name?: string;
  email?: string;
  /** The organization managing the account, when the directory knows it. */
  orgId?: string;
}

export type DemoRequest = Request & { user?: DemoUser };
