import type { FastifyRequest } from 'fastify'
import type { WebAuthnContext } from './context.js'
import { userHandleOf } from './userHandle.js'

/**
 * What a page passes to the WebAuthn Signal API, so the browser's and password managers' passkey
 * lists follow the account: `PublicKeyCredential.signalAllAcceptedCredentials(allAcceptedCredentials)`
 * (passkeys of this user not listed are removed or hidden) and
 * `PublicKeyCredential.signalCurrentUserDetails(currentUserDetails)` (the names shown in the picker).
 * `userId` is the WebAuthn user handle (base64url), never the account id.
 */
export interface WebAuthnSignals {
  allAcceptedCredentials: { rpId: string, userId: string, allAcceptedCredentialIds: string[] }
  currentUserDetails: { rpId: string, userId: string, name: string, displayName: string }
}

/** The signals for the signed-in `userId`: call after sign-in, after removing a key and after a rename of the user. */
export async function signalsFor (ctx: WebAuthnContext, request: FastifyRequest, userId: string): Promise<WebAuthnSignals> {
  const { opts } = ctx
  const [handle, credentials, name] = await Promise.all([
    userHandleOf(ctx.mfa.users, userId),
    ctx.credentials.listByUser(userId),
    opts.userName(request, userId)
  ])
  const displayName = opts.userDisplayName ? await opts.userDisplayName(request, userId) : name
  return {
    allAcceptedCredentials: { rpId: opts.rpID, userId: handle, allAcceptedCredentialIds: credentials.map((c) => c._id) },
    currentUserDetails: { rpId: opts.rpID, userId: handle, name, displayName }
  }
}
