import { randomBytes } from 'node:crypto'
import bcrypt from 'bcrypt'
import { claim, type MfaCollection, type MfaStore } from '@fastify-mfa/core'

/** The host app's own user record: fastify-mfa never writes here. */
export interface User {
  _id: string // the email, lowercased: unique by construction
  id: string
  email: string
  passwordHash: string
  roles: string[]
  createdAt: Date
}

export const PASSWORD_COST = 10

export function createUsers (store: MfaStore, adminEmails: string[]) {
  const users: MfaCollection<User> = store.collection<User>('users')
  return {
    async signup (email: string, password: string): Promise<User | null> {
      const normalized = email.trim().toLowerCase()
      const user: User = {
        _id: normalized,
        id: randomBytes(12).toString('hex'),
        email: normalized,
        passwordHash: await bcrypt.hash(password, PASSWORD_COST),
        roles: adminEmails.includes(normalized) ? ['admin'] : [],
        createdAt: new Date()
      }
      // The _id is the email: a second sign-up with it loses the claim.
      return await claim(users, user) ? user : null
    },
    byEmail: async (email: string) => await users.findOne({ _id: email.trim().toLowerCase() }),
    byId: async (id: string) => await users.findOne({ id }),
    /** The admin role, as granted at sign-up from ADMIN_EMAILS. */
    isAdmin: async (id: string) => (await users.findOne({ id }))?.roles.includes('admin') === true,
    /**
     * Stores a new password hash. With `replacing`, only while the stored hash is still that one
     * (compare-and-set): of two changes that both checked the old password, one wins.
     */
    async setPassword (id: string, passwordHash: string, replacing?: string): Promise<boolean> {
      const filter = replacing === undefined ? { id } : { id, passwordHash: replacing }
      return (await users.updateOne(filter, { $set: { passwordHash } })).matchedCount === 1
    },
    /** Deletes the user's record (account deletion); the email can sign up again. */
    remove: async (id: string) => await users.deleteOne({ id }) === 1,
    ensureIndexes: async () => { await users.createIndexes([{ name: 'id_unique', key: { id: 1 }, unique: true }]) }
  }
}
