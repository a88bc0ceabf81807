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
    const def = this.actions.get(event.action);
    if (!def) return `${label(event.actor)} performed ${event.action}`;
    return renderTemplate(def.template, event);
  }
}

function label(party: { id: string; name?: string; email?: string } | null | undefined): string {
  if (!party) return 'someone';
  return party.name || party.email || party.id;
}

function renderTemplate(
  template: string,
  event: Pick<AuditEvent, 'actor' | 'targets' | 'site' | 'product' | 'metadata'>,
): string {
  return template.replace(/\{([a-zA-Z_.]+)\}/g, (_m, key: string) => {
    const [head, rest] = splitOnce(key);
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
  });
}

function splitOnce(key: string): [string, string | undefined] {
  const i = key.indexOf('.');
  return i < 0 ? [key, undefined] : [key.slice(0, i), key.slice(i + 1)];
}
