import bcrypt from 'bcrypt'
import type { LoginUser } from './options.js'

/**
 * The password step costs one bcrypt comparison whether or not the user exists: unknown users are
 * compared against a dummy hash of the cost real hashes use (learned from the last one seen).
 */
export function createPasswordCheck (defaultCost: number) {
  const dummies = new Map<number, Promise<string>>()
  let cost = defaultCost
  const dummyHash = (c: number): Promise<string> => {
    let hash = dummies.get(c)
    if (!hash) dummies.set(c, hash = bcrypt.hash('fastify-mfa dummy password', c))
    return hash
  }
  /** A bcrypt comparison that always fails, as long as a real one. */
  const refuse = async (password: string): Promise<false> => {
    await bcrypt.compare(password, await dummyHash(cost))
    return false
  }
  return {
    async verifyBcrypt (user: LoginUser, password: string): Promise<boolean> {
      // A user without a password (passkey-only, SSO) takes as long to refuse as a wrong password.
      if (typeof user.passwordHash !== 'string') return await refuse(password)
      const seen = /^\$2[aby]\$(\d\d)\$/.exec(user.passwordHash)
      if (seen) cost = Number(seen[1])
      return await bcrypt.compare(password, user.passwordHash)
    },
    /**
     * One bcrypt comparison either way: `verify` for a known user, a dummy hash of the same cost for
     * an unknown one (always false), so the answer time does not tell whether the account exists.
     */
    async matches (user: LoginUser | null, password: string, verify: (user: LoginUser, password: string) => Promise<boolean>): Promise<boolean> {
      return user !== null ? await verify(user, password) : await refuse(password)
    },
    warmUp: () => dummyHash(cost)
  }
}
