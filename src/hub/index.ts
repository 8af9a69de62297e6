/** The hub: configuration, start/stop, tokens and the pieces its CLI and tests drive. */

export {
  type AuthFailure,
  actorOf,
  generateToken,
  hashSecret,
  type IssuedToken,
  issueApiToken,
  issueUnitToken,
  type Principal,
  roleAtLeast,
  TOKEN_PATTERN,
  TOKEN_PREFIX,
  tenantAllowed,
  tenantsCover,
} from './auth.ts';
export { bundleVersion, catalogVersion, type HubCatalog, loadHubCatalog } from './catalog.ts';
export {
  ADMIN_TOKEN_ENV,
  type DatabaseLocation,
  databaseLocation,
  HUB_CONFIG_OVERRIDES,
  type HubConfig,
  type HubConfigIssue,
  hubConfigSchema,
  overridesFor,
  resolveHubConfig,
  type UnitOverride,
} from './config.ts';
export {
  ConflictError,
  ERROR_STATUS,
  type ErrorCode,
  ForbiddenError,
  HubError,
  type HubRoute,
  InputError,
  NotFoundError,
  UnauthenticatedError,
} from './http.ts';
export {
  createHub,
  type HubHandle,
  type HubInstance,
  type HubOptions,
  openConfiguredStore,
  startHub,
} from './hub.ts';
export { HubMetrics } from './metrics.ts';
export { openApiDocument, type RouteSpec } from './openapi.ts';
export {
  type Credential,
  type HubStore,
  ROLES,
  type Role,
  type UnitInfo,
} from './store/index.ts';
