import { Inject, Injectable } from '@nestjs/common';
import { streamEventResource } from '../admin/events-stream-resource';
import { ActionCatalog } from '../catalog/action-catalog';
import { StreamQueryService } from '../query/stream-query.service';
import { StoredDestination } from './destination-repository';
import { ResolvedDestinationsOptions } from './destinations-options.interface';
import { AUDIT_DESTINATIONS_RESOLVED_OPTIONS } from './destinations.module-definition';
import { DeliveryBatch, DeliveryError } from './transports/transport';

/**
 * The next batch of a destination: the events after its cursor, as GET events-stream renders
 * them (the same query, the same resource), so that a receiver gets exactly what a poller would.
 */
@Injectable()
export class DeliveryReader {
  constructor(
    private readonly stream: StreamQueryService,
    private readonly catalog: ActionCatalog,
    @Inject(AUDIT_DESTINATIONS_RESOLVED_OPTIONS)
    private readonly options: ResolvedDestinationsOptions,
  ) {}

  /**
   * Up to `limit` events after the cursor; undefined when there are none; `gap` when the next
   * stored event is not the one after the cursor (retention removed events the destination had
   * not been given yet: delivering on would skip them silently).
   */
  async next(d: StoredDestination, limit: number): Promise<DeliveryBatch | 'gap' | undefined> {
    const page = await this.stream.page(
      d.orgId,
      { sortOrder: 'asc', after: d.deliveredSeq },
      limit,
    );
    if (page.events.length === 0) return undefined;
    const first = page.events[0].event.seq;
    if (first !== d.deliveredSeq + 1) return 'gap';
    const last = page.events[page.events.length - 1];
    return {
      orgId: d.orgId,
      destinationId: d.id,
      firstSeq: first,
      lastSeq: last.event.seq,
      lastHash: last.hash,
      events: page.events.map((e) => streamEventResource(e, this.catalog, this.options.apiBase)),
    };
  }

  /** The error a destination is paused with when events after its cursor are gone. */
  gapError(d: StoredDestination): DeliveryError {
    return new DeliveryError(
      `events after seq ${d.deliveredSeq} were removed by retention before this destination received them; delivering on would skip them`,
      true,
    );
  }
}
