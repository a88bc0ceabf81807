import { Inject, Injectable } from '@nestjs/common';
import { DestinationSettings } from './destination-types';
import { StoredDestination } from './destination-repository';
import { ResolvedDestinationsOptions } from './destinations-options.interface';
import { AUDIT_DESTINATIONS_RESOLVED_OPTIONS } from './destinations.module-definition';
import { DESTINATION_SECRET_BOX } from './destinations.internal-constants';
import { SecretBox } from './secret-box';
import { DeliveryError, DestinationTransport } from './transports/transport';

/** A transport made for one version of a destination's settings. */
export interface OpenTransport {
  transport: DestinationTransport;
  /** `updated_at` of the settings it was made from. */
  updatedAt: number;
}

/** Makes the transport of a stored destination from its type, settings and opened secrets. */
@Injectable()
export class DestinationTransports {
  constructor(
    @Inject(AUDIT_DESTINATIONS_RESOLVED_OPTIONS)
    private readonly options: ResolvedDestinationsOptions,
    @Inject(DESTINATION_SECRET_BOX) private readonly box: SecretBox,
  ) {}

  /** The settings of a stored destination, its secrets opened. */
  settings(d: StoredDestination): DestinationSettings {
    let secrets: Record<string, string> = {};
    if (d.sealedSecret) {
      try {
        secrets = this.box.open(d.sealedSecret, d.id);
      } catch {
        throw new DeliveryError(
          'its secrets cannot be read with the configured encryption key; set them again (PATCH)',
          true,
        );
      }
    }
    return { config: d.config, secrets };
  }

  open(d: StoredDestination): OpenTransport {
    const type = this.options.types.get(d.type);
    if (!type)
      throw new DeliveryError(
        `destinations of type ${d.type} are not delivered by this instance`,
        true,
      );
    const transport = type.createTransport(this.settings(d), {
      id: d.id,
      orgId: d.orgId,
      timeoutMs: this.options.timeoutMs,
    });
    return { transport, updatedAt: d.updatedAt };
  }
}
