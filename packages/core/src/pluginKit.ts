/**
 * `@fastify-mfa/core/plugin-kit`: what factor plugins and store backends are built with. A host app
 * needs none of it; its API is the package root.
 */
export { errors, withDetails, errorDetails, type ErrorDetails, type MfaErrorBody } from './errors.js'
export { errorBody, sendError } from './guards.js'
export { isDuplicateKeyError, type IndexSpec, type MfaCollection, type MfaStore, type StoredDocument, type StoreFilter, type StoreUpdate, type UpdateResult, type SortSpec } from './store/types.js'
export type { MfaFactor, FactorResult, CeremonyContext, FactorRegistry, CodeContext, SendContext, SendResult, PromptStart } from './factors.js'
export type { SessionRecord, AssuredSession } from './sessions.js'
export type { MfaCrypto, EncryptedField } from './rotation.js'
export type { EncryptedValue, SecretBox } from './crypto.js'
export type { EmitInput, EventHook, TypedEvent } from './events.js'
export { readRequestMfa, newestCheck, type FactorCheck, type PendingLoginRef, type MfaSessionState } from './state.js'
export { createRouteErrorHandler, isForeignOrigin, setupMfaRoutes } from './routeScope.js'
export { deviceLabel } from './deviceLabel.js'
export { cookieSettings, type DeviceCookieSettings, type RequestOrigin } from './cookieSettings.js'
export { randomToken, sha256 } from './tokens.js'
export { optionChecks } from './optionChecks.js'
export { claim, claimEach, consume } from './store/atomics.js'
