import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ViewerTokenService } from '@auditkit/nestjs/admin';
import { EMBED_EXAMPLE_OPTIONS, EmbedExampleOptions } from './embed-example.options';

/**
 * What a host's backend adds to embed the viewer: one route that mints a short-lived, read-only
 * viewer token for the org of the user its own session signed in.
 */
@Controller('api')
export class ViewerTokenController {
  constructor(
    private readonly viewerTokens: ViewerTokenService,
    @Inject(EMBED_EXAMPLE_OPTIONS) private readonly options: EmbedExampleOptions,
  ) {}

  @Get('audit-viewer-token')
  @Header('Cache-Control', 'no-store')
  async mint() {
    // A real host takes the user and their org from its own session, and checks here that
    // the user may see the org's audit log. This demo has one user, an admin of one org.
    const user = { id: 'u-jane', email: 'jane@acme.test' };
    const minted = await this.viewerTokens.mint({
      orgId: this.options.org,
      subject: user.id,
      ttlSeconds: 10 * 60,
      // The CSV link of an export goes to the user the token was minted for.
      exportEmail: user.email,
    });
    return { token: minted.token, org: minted.orgId, expiresAt: minted.expiresAt.toISOString() };
  }
}
