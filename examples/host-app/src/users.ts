import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'
import bcrypt from 'bcrypt'
import type { MfaStore } from '@fastify-mfa/core'
import { claim, type IndexSpec, type MfaCollection } from '@fastify-mfa/core/plugin-kit'

/** The code that proves the user reads the address they signed up with. */
export interface EmailVerification {
  /** Random id of this code: its attempts and its one use are claimed under it. */
  codeId: string
  /** HMAC-SHA-256 of `<codeId>:<code>` under a key of the app (a six-digit code must not be hashed bare). */
  codeHash: string
  sentAt: Date
  expiresAt: Date
}

/** The host app's own user record, as stored: fastify-mfa never writes here. */
export interface StoredUser {
  _id: string // the email, lowercased: unique by construction
  id: string
  email: string
  passwordHash: string
  /** Whether the user proved they read `email` (older records without it: not verified). */
  verified?: boolean
  verifiedAt?: Date
  /** The live verification code; null once verified. */
  verification?: EmailVerification | null
  createdAt: Date
  /** Older records only: roles are no longer stored (see `User.roles`). */
  roles?: string[]
}

/** A user as the app reads it: `roles` derived when read. */
export interface User extends Omit<StoredUser, 'roles' | 'verified'> {
  verified: boolean
  /**
   * `['admin']` for a verified address listed in ADMIN_EMAILS. Derived at every read, never stored:
   * whoever first signs up with an admin's address gets nothing until they prove they read it, and
   * an address taken off ADMIN_EMAILS loses the role at once.
   */
  roles: string[]
}

/** Attempts and uses of verification codes, and throttles, as claims on `_id` (atomic on every MongoDB-compatible server). */
interface ClaimDocument { _id: string, expiresAt: Date }

export const PASSWORD_COST = 10
/** How long a verification code works. @unit milliseconds */
export const VERIFICATION_TTL = 15 * 60_000
/** Wrong codes one verification code tolerates before it is spent. */
export const VERIFICATION_ATTEMPTS = 5
/** Time between two verification mails. @unit milliseconds */
export const RESEND_INTERVAL = 30_000
/** At most one "someone tried to sign up with your address" mail per account in this time. @unit milliseconds */
export const TAKEN_NOTICE_INTERVAL = 3_600_000

export const claimIndexes: IndexSpec[] = [{ name: 'expires_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 }]

export type VerifyResult =
  | { ok: true, user: User }
  | { ok: false, reason: 'wrong', attemptsLeft: number }
  | { ok: false, reason: 'expired' | 'verified' | 'unknown' }

export type NewCodeResult =
  | { ok: true, user: User, code: string }
  | { ok: false, reason: 'too_soon', retryAfter: number }
  | { ok: false, reason: 'verified' | 'unknown' }

interface UserOptions {
  adminEmails: string[]
  /** Keys the verification-code hashes (the app derives it from SESSION_SECRET). */
  codeKey: Buffer
  now?: () => number
}

export function createUsers (store: MfaStore, { adminEmails, codeKey, now = Date.now }: UserOptions) {
  const users: MfaCollection<StoredUser> = store.collection<StoredUser>('users')
  const claims: MfaCollection<ClaimDocument> = store.collection<ClaimDocument>('user_claims')

  const read = (doc: StoredUser | null): User | null => {
    if (!doc) return null
    const { roles: _stored, ...user } = doc
    const verified = doc.verified === true
    return { ...user, verified, roles: verified && adminEmails.includes(doc.email) ? ['admin'] : [] }
  }
  const hash = (codeId: string, code: string): string => createHmac('sha256', codeKey).update(`${codeId}:${code}`).digest('base64url')
  const newCode = (): { code: string, verification: EmailVerification } => {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0')
    const codeId = randomBytes(12).toString('base64url')
    return { code, verification: { codeId, codeHash: hash(codeId, code), sentAt: new Date(now()), expiresAt: new Date(now() + VERIFICATION_TTL) } }
  }
  const claimFor = async (_id: string, ms: number): Promise<boolean> => await claim(claims, { _id, expiresAt: new Date(now() + ms) })

  return {
    /** A new, unverified user and the code to mail them; null when the email is taken. */
    async signup (email: string, password: string): Promise<{ user: User, code: string } | null> {
      const normalized = email.trim().toLowerCase()
      const { code, verification } = newCode()
      const doc: StoredUser = {
        _id: normalized,
        id: randomBytes(12).toString('hex'),
        email: normalized,
        passwordHash: await bcrypt.hash(password, PASSWORD_COST),
        verified: false,
        verification,
        createdAt: new Date(now())
      }
      // The _id is the email: a second sign-up with it loses the claim.
      return await claim(users, doc) ? { user: read(doc)!, code } : null
    },
    byEmail: async (email: string) => read(await users.findOne({ _id: email.trim().toLowerCase() })),
    byId: async (id: string) => read(await users.findOne({ id })),
    /** The admin role: a verified address on ADMIN_EMAILS. */
    isAdmin: async (id: string) => read(await users.findOne({ id }))?.roles.includes('admin') === true,

    /**
     * Checks a verification code. Each try first claims one of the code's attempts, then compares;
     * the right code is used once (a claim), so neither concurrent guesses nor a replay get more
     * than `VERIFICATION_ATTEMPTS` tries or a second success.
     */
    async verifyEmail (id: string, code: string): Promise<VerifyResult> {
      const doc = await users.findOne({ id })
      if (!doc) return { ok: false, reason: 'unknown' }
      if (doc.verified === true) return { ok: false, reason: 'verified' }
      const v = doc.verification
      if (!v || v.expiresAt.getTime() <= now()) return { ok: false, reason: 'expired' }
      const ttl = v.expiresAt.getTime() - now()
      let attempt = 0
      for (let n = 1; n <= VERIFICATION_ATTEMPTS && attempt === 0; n++) if (await claimFor(`${v.codeId}:attempt:${n}`, ttl)) attempt = n
      if (attempt === 0) return { ok: false, reason: 'expired' }
      const right = timingSafeEqual(Buffer.from(hash(v.codeId, code)), Buffer.from(v.codeHash))
      if (!right) return { ok: false, reason: 'wrong', attemptsLeft: VERIFICATION_ATTEMPTS - attempt }
      if (!await claimFor(`${v.codeId}:used`, ttl)) return { ok: false, reason: 'expired' }
      await users.updateOne({ id, 'verification.codeId': v.codeId }, { $set: { verified: true, verifiedAt: new Date(now()), verification: null } })
      return { ok: true, user: read(await users.findOne({ id }))! }
    },

    /**
     * A new verification code, replacing the last one (which stops working), at most one per
     * `RESEND_INTERVAL`: the resend of a code is claimed under that code's id, so of concurrent
     * resends one wins.
     */
    async newVerificationCode (id: string): Promise<NewCodeResult> {
      const doc = await users.findOne({ id })
      if (!doc) return { ok: false, reason: 'unknown' }
      if (doc.verified === true) return { ok: false, reason: 'verified' }
      const last = doc.verification
      const wait = last ? last.sentAt.getTime() + RESEND_INTERVAL - now() : 0
      if (wait > 0 || (last && !await claimFor(`${last.codeId}:resent`, RESEND_INTERVAL))) {
        return { ok: false, reason: 'too_soon', retryAfter: Math.max(1, Math.ceil(wait / 1000)) }
      }
      const { code, verification } = newCode()
      const filter = last ? { id, 'verification.codeId': last.codeId } : { id }
      if ((await users.updateOne(filter, { $set: { verification } })).matchedCount !== 1) return { ok: false, reason: 'too_soon', retryAfter: 1 }
      return { ok: true, user: read({ ...doc, verification })!, code }
    },

    /** Forgets a code whose mail could not be sent, so the user can ask for another at once. */
    async dropVerificationCode (id: string, code: string): Promise<void> {
      const doc = await users.findOne({ id })
      const v = doc?.verification
      if (v && v.codeHash === hash(v.codeId, code)) await users.updateOne({ id, 'verification.codeId': v.codeId }, { $set: { verification: null } })
    },

    /** Whether to tell the owner of `userId` about a sign-up with their address now: at most once per `TAKEN_NOTICE_INTERVAL`. */
    takenNoticeDue: async (userId: string) => await claimFor(`${userId}:taken:${Math.floor(now() / TAKEN_NOTICE_INTERVAL)}`, TAKEN_NOTICE_INTERVAL),

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
    /** The claims collection, for its TTL index (`claimIndexes`). */
    claims,
    ensureIndexes: async () => { await users.createIndexes([{ name: 'id_unique', key: { id: 1 }, unique: true }]) }
  }
}

export type Users = ReturnType<typeof createUsers>
