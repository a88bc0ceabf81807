import { ApiProperty } from '../http/openapi/swagger';
import { IngestEventDto } from './ingest-event.dto';
import { BULK_MAX_EVENTS } from './ingest.service';

/**
 * The body of POST events/bulk, for the OpenAPI document. It is checked by hand, not by
 * class-validator: each item on its own, as POST events checks its body, so that one bad item
 * is named and refused rather than the whole request.
 */
export class BulkIngestDto {
  @ApiProperty({
    type: () => [IngestEventDto],
    minItems: 1,
    maxItems: BULK_MAX_EVENTS,
    description:
      'The events, each as the body of POST events. Item i is named `/events/i` in errors.',
  })
  events!: IngestEventDto[];
}
