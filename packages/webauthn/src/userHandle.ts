import type { UserRecords } from '@fastify-mfa/core'
import { randomToken } from '@fastify-mfa/core/plugin-kit'

/**
 * The user's WebAuthn user handle (base64url of 32 random bytes): what authenticators store as
 * `user.id` and return as `userHandle`. Random per user, never the email or the database id
 * (WebAuthn §14.6.1: it must not identify the user to anyone but the RP). First writer wins.
 */
export async function userHandleOf (users: UserRecords, userId: string): Promise<string> {
  const existing = (await users.get(userId)).webauthnUserHandle
  return existing ?? await users.setOnce(userId, 'webauthnUserHandle', randomToken(32))
}
