import { Controller, Options } from '@nestjs/common';
import { apiError } from '../../http/api-error';
import { ApiExcludeController } from '../../http/openapi/swagger';

/**
 * The route a CORS preflight of the admin API matches, so that ViewerCorsMiddleware, bound by
 * controller, runs for it under whatever path the host mounts the plugin at (middleware bound by
 * a path string does not follow a RouterModule prefix). An allowed origin's preflight is answered
 * by the middleware and never gets here; any other OPTIONS request is a 404 as before.
 */
@Controller('admin/v1')
@ApiExcludeController()
export class ViewerPreflightController {
  @Options('*path')
  preflight(): never {
    throw apiError(404, 'Not found');
  }
}
