import { Inject, Injectable } from '@nestjs/common';
import { isUlid, ulid } from '../common/ulid';
import { apiError, invalidField } from '../http/api-error';
import { DestinationBody, stringField } from './destination-fields';
import { DestinationLag, DestinationRepository, StoredDestination } from './destination-repository';
import { DestinationTransports } from './destination-transports';
import { DestinationSettings, DestinationTypeDefinition } from './destination-types';
import { ResolvedDestinationsOptions } from './destinations-options.interface';
import { AUDIT_DESTINATIONS_RESOLVED_OPTIONS } from './destinations.module-definition';
import { DESTINATION_SECRET_BOX } from './destinations.internal-constants';
import { SecretBox } from './secret-box';

/** Most destinations one org may have. */
export const MAX_DESTINATIONS_PER_ORG = 25;

/** A destination with how far behind it is, for the API. */
export interface DestinationView {
  destination: StoredDestination;
  lag: DestinationLag;
  definition?: DestinationTypeDefinition;
}

/** What a test delivery found. */
export interface DestinationTestResult {
  ok: boolean;
  error?: string;
}

// The fields every type shares; the rest belong to the type.
const COMMON_FIELDS = ['type', 'name', 'start'];

/**
 * Managing an org's destinations (the API's side): bodies checked by their type's definition,
 * secrets sealed before they reach the database, every read scoped to the org of the path.
 */
@Injectable()
export class DestinationsService {
  constructor(
    private readonly repository: DestinationRepository,
    private readonly transports: DestinationTransports,
    @Inject(DESTINATION_SECRET_BOX) private readonly box: SecretBox,
    @Inject(AUDIT_DESTINATIONS_RESOLVED_OPTIONS)
    private readonly options: ResolvedDestinationsOptions,
  ) {}

  private now(): number {
    return this.options.clock.now().getTime();
  }

  /** The definitions of the types this instance takes, by `type`. */
  types(): string[] {
    return [...this.options.types.keys()];
  }

  async create(orgId: string, body: DestinationBody): Promise<DestinationView> {
    const typeName = stringField(body, 'type', { required: true, max: 32 })!;
    const definition = this.options.types.get(typeName);
    if (!definition) throw invalidField('/type', `must be one of ${this.types().join(', ')}`);
    const name = stringField(body, 'name', { max: 200 }) ?? null;
    const start = stringField(body, 'start', { max: 16 }) ?? 'beginning';
    if (start !== 'beginning' && start !== 'now')
      throw invalidField('/start', 'must be beginning or now');
    const settings = definition.parse(ownFields(body));
    const existing = await this.repository.list(orgId);
    if (existing.length >= MAX_DESTINATIONS_PER_ORG)
      throw apiError(422, `An organization has at most ${MAX_DESTINATIONS_PER_ORG} destinations`);
    const now = this.now();
    const id = ulid(now);
    const d: StoredDestination = {
      id,
      orgId,
      type: typeName,
      name,
      config: settings.config,
      sealedSecret: Object.keys(settings.secrets).length
        ? this.box.seal(settings.secrets, id)
        : null,
      state: 'active',
      pausedReason: null,
      deliveredSeq: await this.repository.startOf(orgId, start),
      deliveredHash: null,
      failures: 0,
      firstFailureAt: null,
      nextAttemptAt: 0,
      lastError: null,
      lastErrorAt: null,
      lastDeliveredAt: null,
      leaseOwner: null,
      leaseUntil: 0,
      createdAt: now,
      updatedAt: now,
    };
    await this.repository.insert(d);
    return this.view(d);
  }

  async list(orgId: string): Promise<DestinationView[]> {
    const all = await this.repository.list(orgId);
    return Promise.all(all.map((d) => this.view(d)));
  }

  async get(orgId: string, id: string): Promise<DestinationView> {
    return this.view(await this.find(orgId, id));
  }

  async update(orgId: string, id: string, body: DestinationBody): Promise<DestinationView> {
    const d = await this.find(orgId, id);
    if (body.type !== undefined && body.type !== d.type)
      throw invalidField('/type', 'cannot change; create a new destination instead');
    if (body.start !== undefined)
      throw invalidField('/start', 'is only taken when a destination is created');
    const definition = this.options.types.get(d.type);
    if (!definition)
      throw apiError(422, `Destinations of type ${d.type} cannot be changed by this instance`);
    const name = body.name === null ? null : (stringField(body, 'name', { max: 200 }) ?? d.name);
    const settings = this.reparse(definition, d, ownFields(body));
    const sealedSecret = Object.keys(settings.secrets).length
      ? this.box.seal(settings.secrets, d.id)
      : null;
    const now = Math.max(this.now(), d.updatedAt + 1);
    await this.repository.updateSettings(
      orgId,
      id,
      { name, config: settings.config, sealedSecret },
      now,
    );
    return this.get(orgId, id);
  }

  async remove(orgId: string, id: string): Promise<void> {
    if (!(await this.repository.remove(orgId, this.checkId(id)))) throw notFound(id);
  }

  async pause(orgId: string, id: string): Promise<DestinationView> {
    if (!(await this.repository.pause(orgId, this.checkId(id), this.now()))) throw notFound(id);
    return this.get(orgId, id);
  }

  async resume(orgId: string, id: string): Promise<DestinationView> {
    if (!(await this.repository.resume(orgId, this.checkId(id), this.now()))) throw notFound(id);
    return this.get(orgId, id);
  }

  /**
   * Sends a test batch (no events; the cursor does not move) and says whether the receiver
   * took it: a webhook gets an empty signed POST marked `AuditKit-Test: true`.
   */
  async test(orgId: string, id: string): Promise<DestinationTestResult> {
    const d = await this.find(orgId, id);
    try {
      const { transport } = this.transports.open(d);
      try {
        await transport.deliver({
          orgId,
          destinationId: d.id,
          firstSeq: d.deliveredSeq + 1,
          lastSeq: d.deliveredSeq,
          lastHash: d.deliveredHash,
          events: [],
          test: true,
        });
      } finally {
        await transport.close();
      }
      return { ok: true };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * The settings of a PATCH: the body over the stored ones. When the stored secrets cannot be
   * opened (the encryption key changed), the body is taken as a create body over the stored
   * settings, so that it must give the secrets again, and the field is named if it does not.
   */
  private reparse(
    definition: DestinationTypeDefinition,
    d: StoredDestination,
    body: DestinationBody,
  ): DestinationSettings {
    let previous: DestinationSettings;
    try {
      previous = this.transports.settings(d);
    } catch {
      return definition.parse({ ...d.config, ...body });
    }
    return definition.parse(body, previous);
  }

  private async find(orgId: string, id: string): Promise<StoredDestination> {
    const d = await this.repository.get(orgId, this.checkId(id));
    if (!d) throw notFound(id);
    return d;
  }

  private checkId(id: string): string {
    if (!isUlid(id)) throw notFound(id);
    return id;
  }

  private async view(d: StoredDestination): Promise<DestinationView> {
    return {
      destination: d,
      lag: await this.repository.lag(d.orgId, d.deliveredSeq, this.now()),
      definition: this.options.types.get(d.type),
    };
  }
}

function ownFields(body: DestinationBody): DestinationBody {
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!COMMON_FIELDS.includes(k)) own[k] = v;
  return own;
}

function notFound(id: string) {
  return apiError(404, `No destination ${id.slice(0, 64)} in this organization`);
}
