import bcrypt from 'bcrypt'
import type { LoginUser } from './options.js'

/**
 * The password step costs one bcrypt comparison whether or not the user exists: unknown users (and
 * users without a password) are compared against a dummy hash of the configured cost, fixed at
 * start, so what an attacker sends cannot change how long a refusal takes.
 */
export function createPasswordCheck (cost: number) {
  let dummy: Promise<string> | null = null
  const dummyHash = (): Promise<string> => (dummy ??= bcrypt.hash('fastify-mfa dummy password', cost))
  /** A bcrypt comparison that always fails, as long as a real one. */
  const refuse = async (password: string): Promise<false> => {
    await bcrypt.compare(password, await dummyHash())
    return false
  }
  return {
    async verifyBcrypt (user: LoginUser, password: string): Promise<boolean> {
      // A user without a password (passkey-only, SSO) takes as long to refuse as a wrong password.
      if (typeof user.passwordHash !== 'string') return await refuse(password)
      return await bcrypt.compare(password, user.passwordHash)
    },
    /**
     * One bcrypt comparison either way: `verify` for a known user, the dummy hash for an unknown one
     * (always false), so the answer time does not tell whether the account exists.
     */
    async matches (user: LoginUser | null, password: string, verify: (user: LoginUser, password: string) => Promise<boolean>): Promise<boolean> {
      return user !== null ? await verify(user, password) : await refuse(password)
    },
    warmUp: async () => { await dummyHash() }
  }
}
