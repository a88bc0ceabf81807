/** An activity type: one of the five built in, or one a host registers. */
export interface AuditCategoryDefinition {
  /** Stable key, e.g. `groups`. */
  id: string;
  /** Shown in the UI's Activity select and in CSV exports, e.g. `Groups`. */
  displayName: string;
}

/** An action in the catalog. Every recorded event's action must be one of these. */
export interface AuditActionDefinition {
  /** Stable key stored with each event, e.g. `user_added_to_group`. */
  id: string;
  /** The category (activity type) the action belongs to. */
  category: string;
  /** Shown in the UI and exports, e.g. `User added to group`. */
  displayName: string;
  /**
   * The sentence shown for an event. Placeholders: `{actor}`, `{target}` (first target),
   * `{target.TYPE}` (first target of that type), `{targets.TYPE}` (all of that type, joined),
   * `{site}`, `{product}` and `{metadata.KEY}`.
   * @example '{actor} added {target.user} to {target.group}'
   */
  template: string;
}
