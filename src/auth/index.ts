/** Shared authentication of API clients and operator keys (docs/architecture.md "Shared auth"). */
export { ROLES, parseRole, parseRoles, hasAnyRole, type Role } from './roles.ts';
export {
  AuthRecordError,
  parseClientRecords,
  parseOperatorRecords,
  type AuthRecord,
  type ClientRecord,
  type OperatorRecord,
  type OperatorType,
} from './auth-record.ts';
export { KeyIndex, DEFAULT_CACHE_SIZE, hashKey, parseBearer, siteIdOfKey } from './key-index.ts';
