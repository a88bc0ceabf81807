import { Body, Controller, Delete, Get, Param, Post, UseGuards } from '@nestjs/common';
import { Audit, AuditOptions } from '@auditkit/nestjs';
import { groupTarget, siteOf, userTarget } from '../audit/audit-targets';
import { DemoAuthGuard } from '../auth/demo-auth.guard';
import {
  GroupProductAccessResult,
  ProductAccessResult,
  SiteAccessResult,
  SiteView,
} from '../directory/directory.models';
import { DirectoryStore } from '../directory/directory.store';
import { CreateSiteDto, GroupRefDto, UserRefDto } from '../dto/users.dto';

/** Shared by the four group access routes. */
const groupAccessEvent: AuditOptions<GroupProductAccessResult> = {
  targets: ({ result }) => groupTarget(result!.group),
  site: ({ result }) => siteOf(result!.site),
  product: ({ result }) => result!.product,
};

/**
 * Sites and their products: who may use them ("site and product users" activity) and which
 * groups grant use or administration of a product ("groups" activity).
 */
@Controller('orgs/:orgId/sites')
@UseGuards(DemoAuthGuard)
export class SitesController {
  constructor(private readonly directory: DirectoryStore) {}

  @Get()
  list(@Param('orgId') orgId: string): SiteView[] {
    return this.directory.listSites(orgId);
  }

  /** Adds a site (not recorded: no built-in action covers it). */
  @Post()
  create(@Param('orgId') orgId: string, @Body() body: CreateSiteDto): SiteView {
    return this.directory.createSite(orgId, body.name, body.products);
  }

  @Post(':siteId/users')
  @Audit<SiteAccessResult>('user_granted_site_access', {
    targets: ({ result }) => userTarget(result!.user),
    site: ({ result }) => siteOf(result!.site),
  })
  grantSiteAccess(
    @Param('orgId') orgId: string,
    @Param('siteId') siteId: string,
    @Body() body: UserRefDto,
  ): SiteAccessResult {
    return this.directory.grantSiteAccess(orgId, siteId, body.userId);
  }

  @Delete(':siteId/users/:userId')
  @Audit<SiteAccessResult>('user_site_access_revoked', {
    targets: ({ result }) => userTarget(result!.user),
    site: ({ result }) => siteOf(result!.site),
  })
  revokeSiteAccess(
    @Param('orgId') orgId: string,
    @Param('siteId') siteId: string,
    @Param('userId') userId: string,
  ): SiteAccessResult {
    return this.directory.revokeSiteAccess(orgId, siteId, userId);
  }

  @Post(':siteId/products/:product/users')
  @Audit<ProductAccessResult>('user_granted_product_access', {
    targets: ({ result }) => userTarget(result!.user),
    site: ({ result }) => siteOf(result!.site),
    product: ({ result }) => result!.product,
  })
  grantProductAccess(
    @Param('orgId') orgId: string,
    @Param('siteId') siteId: string,
    @Param('product') product: string,
    @Body() body: UserRefDto,
  ): ProductAccessResult {
    return this.directory.grantProductAccess(orgId, siteId, product, body.userId);
  }

  @Delete(':siteId/products/:product/users/:userId')
  @Audit<ProductAccessResult>('user_product_access_revoked', {
    targets: ({ result }) => userTarget(result!.user),
    site: ({ result }) => siteOf(result!.site),
    product: ({ result }) => result!.product,
  })
  revokeProductAccess(
    @Param('orgId') orgId: string,
    @Param('siteId') siteId: string,
    @Param('product') product: string,
    @Param('userId') userId: string,
  ): ProductAccessResult {
    return this.directory.revokeProductAccess(orgId, siteId, product, userId);
  }

  @Post(':siteId/products/:product/groups')
  @Audit<GroupProductAccessResult>('group_granted_product_access', groupAccessEvent)
  grantGroupAccess(
    @Param('orgId') orgId: string,
    @Param('siteId') siteId: string,
    @Param('product') product: string,
    @Body() body: GroupRefDto,
  ): GroupProductAccessResult {
    return this.directory.grantGroupProductAccess(orgId, siteId, product, body.groupId, 'user');
  }

  @Delete(':siteId/products/:product/groups/:groupId')
  @Audit<GroupProductAccessResult>('group_product_access_revoked', groupAccessEvent)
  revokeGroupAccess(
    @Param('orgId') orgId: string,
    @Param('siteId') siteId: string,
    @Param('product') product: string,
    @Param('groupId') groupId: string,
  ): GroupProductAccessResult {
    return this.directory.revokeGroupProductAccess(orgId, siteId, product, groupId, 'user');
  }

  @Post(':siteId/products/:product/admin-groups')
  @Audit<GroupProductAccessResult>('group_granted_admin_access', groupAccessEvent)
  grantGroupAdmin(
    @Param('orgId') orgId: string,
    @Param('siteId') siteId: string,
    @Param('product') product: string,
    @Body() body: GroupRefDto,
  ): GroupProductAccessResult {
    return this.directory.grantGroupProductAccess(orgId, siteId, product, body.groupId, 'admin');
  }

  @Delete(':siteId/products/:product/admin-groups/:groupId')
  @Audit<GroupProductAccessResult>('group_admin_access_revoked', groupAccessEvent)
  revokeGroupAdmin(
    @Param('orgId') orgId: string,
    @Param('siteId') siteId: string,
    @Param('product') product: string,
    @Param('groupId') groupId: string,
  ): GroupProductAccessResult {
    return this.directory.revokeGroupProductAccess(orgId, siteId, product, groupId, 'admin');
  }
}
