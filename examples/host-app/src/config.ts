import { randomBytes } from 'node:crypto'

/** The example app's settings, all from the environment (SPEC §7). */
export interface AppConfig {
  port: number
  host: string
  mongodbUri: string | null
  /** Rate-limit counters shared by every instance (`REDIS_URL`); in memory when unset. */
  redisUrl: string | null
  rpId: string
  origin: string
  sessionSecret: string
  encryptionKey: Buffer
  freshAge: number
  mode: 'optional' | 'required'
  graceDays: number
  authRateLimit: number
  adminEmails: string[]
  warnings: string[]
}

function int (env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a whole number, got "${raw}"`)
  return value
}

export function loadConfig (env: NodeJS.ProcessEnv = process.env): AppConfig {
  const warnings: string[] = []
  const port = int(env, 'PORT', 3000)
  let sessionSecret = env.SESSION_SECRET ?? ''
  if (sessionSecret === '') {
    sessionSecret = randomBytes(32).toString('hex')
    warnings.push('SESSION_SECRET is not set: using a random one, so sessions end when the app restarts')
  } else if (sessionSecret.length < 32) {
    throw new TypeError('SESSION_SECRET must be at least 32 characters')
  }
  let encryptionKey: Buffer
  if (env.MFA_ENCRYPTION_KEY) {
    encryptionKey = Buffer.from(env.MFA_ENCRYPTION_KEY, 'base64')
    if (encryptionKey.length !== 32) throw new TypeError('MFA_ENCRYPTION_KEY must be 32 bytes, base64')
  } else {
    encryptionKey = randomBytes(32)
    warnings.push('MFA_ENCRYPTION_KEY is not set: using a random key, so stored TOTP secrets cannot be read after a restart')
  }
  const mode = env.MFA_MODE ?? 'optional'
  if (mode !== 'optional' && mode !== 'required') throw new TypeError('MFA_MODE must be "optional" or "required"')
  return {
    port,
    host: env.HOST || '127.0.0.1',
    mongodbUri: env.MONGODB_URI || null,
    redisUrl: env.REDIS_URL || null,
    rpId: env.RP_ID || 'localhost',
    origin: env.ORIGIN || `http://localhost:${port}`,
    sessionSecret,
    encryptionKey,
    freshAge: int(env, 'MFA_FRESH_AGE', 300),
    mode,
    graceDays: int(env, 'MFA_GRACE_DAYS', 7),
    authRateLimit: int(env, 'AUTH_RATE_LIMIT', 30),
    adminEmails: (env.ADMIN_EMAILS ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean),
    warnings
  }
}
