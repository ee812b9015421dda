import type { RequestMfa } from '@fastify-mfa/core'

/**
 * Whether the session may run the automatic passkey upgrade (conditional create) now: a full sign-in
 * with a password (`pwd`) and a second factor (aal 2 or more) whose latest second-factor check is at
 * most `windowSec` old. A remembered device checks no factor, so it never opens the window; neither
 * does a password alone, a passkey sign-in (there is a passkey already) or an enrol-only session.
 */
export function autoUpgradeOpen (mfa: RequestMfa, userId: string, nowSec: number, windowSec: number): boolean {
  return mfa.userId === userId &&
    !mfa.enrollOnly &&
    mfa.aal >= 2 &&
    mfa.amr.includes('pwd') &&
    mfa.mfaTime !== null &&
    nowSec - mfa.mfaTime <= windowSec
}
