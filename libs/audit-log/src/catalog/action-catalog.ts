import { AuditEvent } from '../event/audit-event.interface';
import { AuditActionDefinition, AuditCategoryDefinition } from './audit-action.interface';
import { BUILTIN_ACTIONS, BUILTIN_CATEGORIES } from './builtin-actions';

const ID_PATTERN = /^[a-z][a-z0-9_.:-]{0,127}$/;

/**
 * The registry of categories and actions: the built-in ones plus the host's. Built once at module
 * start; a host action with a built-in id replaces the built-in entry (its own wording wins).
 */
export class ActionCatalog {
  private readonly actions = new Map<string, AuditActionDefinition>();
  private readonly categories = new Map<string, AuditCategoryDefinition>();
  /** Each action's template, split once: a page of events renders a sentence per event. */
  private readonly compiled = new Map<string, TemplatePiece[]>();

  constructor(
    extraCategories: readonly AuditCategoryDefinition[] = [],
    extraActions: readonly AuditActionDefinition[] = [],
  ) {
    for (const c of [...BUILTIN_CATEGORIES, ...extraCategories]) {
      if (!ID_PATTERN.test(c.id) || !c.displayName) {
        throw new Error(`AuditLogModule: invalid category ${JSON.stringify(c.id)}`);
      }
      this.categories.set(c.id, { id: c.id, displayName: c.displayName });
    }
    for (const action of [...BUILTIN_ACTIONS, ...extraActions]) {
      if (!ID_PATTERN.test(action.id) || !action.displayName || !action.template) {
        throw new Error(`AuditLogModule: invalid action ${JSON.stringify(action.id)}`);
      }
      if (!this.categories.has(action.category)) {
        throw new Error(
          `AuditLogModule: action "${action.id}" names an unknown category "${action.category}"; register it in options.categories`,
        );
      }
      this.actions.set(action.id, { ...action });
      this.compiled.set(action.id, compileTemplate(action.template));
    }
  }

  getAction(id: string): AuditActionDefinition | undefined {
    return this.actions.get(id);
  }

  getCategory(id: string): AuditCategoryDefinition | undefined {
    return this.categories.get(id);
  }

  listActions(): AuditActionDefinition[] {
    return [...this.actions.values()];
  }

  listCategories(): AuditCategoryDefinition[] {
    return [...this.categories.values()];
  }

  /** Display names of an action and of its category; unknown ids fall back to the id itself. */
  describe(action: string): { displayName: string; categoryDisplayName: string } {
    const def = this.actions.get(action);
    return {
      displayName: def?.displayName ?? action,
      categoryDisplayName: (def && this.categories.get(def.category)?.displayName) ?? '',
    };
  }

  /** The event's sentence, e.g. "Jane Doe added Bob Li to jira-admins". */
  render(
    event: Pick<AuditEvent, 'action' | 'actor' | 'targets' | 'site' | 'product' | 'metadata'>,
  ): string {
    const pieces = this.compiled.get(event.action);
    if (!pieces) return `${label(event.actor)} performed ${event.action}`;
    let out = '';
    for (const piece of pieces) out += typeof piece === 'string' ? piece : fill(piece, event);
    return out;
  }
}

function label(party: { id: string; name?: string; email?: string } | null | undefined): string {
  if (!party) return 'someone';
  return party.name || party.email || party.id;
}

/** A template's text between placeholders, or a placeholder: `{target.group}` is head, rest. */
type TemplatePiece = string | { key: string; head: string; rest: string | undefined };

function compileTemplate(template: string): TemplatePiece[] {
  const pieces: TemplatePiece[] = [];
  const placeholder = /\{([a-zA-Z_.]+)\}/g;
  let from = 0;
  for (let m = placeholder.exec(template); m; m = placeholder.exec(template)) {
    if (m.index > from) pieces.push(template.slice(from, m.index));
    const [head, rest] = splitOnce(m[1]);
    pieces.push({ key: m[1], head, rest });
    from = m.index + m[0].length;
  }
  if (from < template.length) pieces.push(template.slice(from));
  return pieces;
}

function fill(
  { key, head, rest }: Exclude<TemplatePiece, string>,
  event: Pick<AuditEvent, 'actor' | 'targets' | 'site' | 'product' | 'metadata'>,
): string {
  switch (head) {
    case 'actor':
      return label(event.actor);
    case 'site':
      return event.site ? event.site.name || event.site.id : 'a site';
    case 'product':
      return event.product || 'a product';
    case 'target': {
      const t = rest ? event.targets.find((x) => x.type === rest) : event.targets[0];
      return t ? label(t) : `a ${rest ?? 'target'}`;
    }
    case 'targets': {
      const all = rest ? event.targets.filter((x) => x.type === rest) : event.targets;
      return all.length ? all.map(label).join(', ') : `no ${rest ?? 'target'}s`;
    }
    case 'metadata': {
      const v = rest ? event.metadata?.[rest] : undefined;
      return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
    }
    default:
      return `{${key}}`;
  }
}

function splitOnce(key: string): [string, string | undefined] {
  const i = key.indexOf('.');
  return i < 0 ? [key, undefined] : [key.slice(0, i), key.slice(i + 1)];
}
