import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ReadinessService } from '../http/readiness.service';
import { ApiJson } from '../http/openapi/decorators';
import { ApiOperation, ApiTags } from '../http/openapi/swagger';

/** Liveness and readiness for load balancers and orchestrators. */
@Controller()
@ApiTags('health')
export class HealthController {
  constructor(private readonly readiness: ReadinessService) {}

  @Get('healthz')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiJson(200, 'Health', 'Alive.')
  @HttpCode(200)
  health() {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'Readiness: the database and, when configured, Redis answer' })
  @ApiJson(200, 'Readiness', 'Ready.')
  @ApiJson(503, 'Readiness', 'A dependency is down (named in `checks`).')
  async ready(@Res({ passthrough: true }) res: Response) {
    const result = await this.readiness.run();
    res.status(result.ready ? 200 : 503);
    return { status: result.ready ? 'ready' : 'not_ready', checks: result.checks };
  }
}
