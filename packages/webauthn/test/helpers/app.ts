import mfaCore from '@fastify-mfa/core'
import { agent, buildTestApp, fakeClock, type FakeClock } from '@fastify-mfa/testing'
import type { FastifyInstance } from 'fastify'
import mfaWebAuthn, { type WebAuthnOptions } from '../../src/index.js'

type Test = Parameters<typeof buildTestApp>[0]

export const RP_ID = 'example.org'
export const ORIGIN = 'https://example.org'

interface CeremonyBody { purpose: 'login' | 'step-up' | 'passkey', binding: string, userId?: string | null, response?: unknown }

/**
 * A host app with core and the webauthn plugin. `POST /__test/ceremony/options|verify` call the
 * factor the way mfa-login does (`factor.challenge` / `factor.verifyResponse`).
 */
export async function buildApp (t: Test, store: unknown, options: Partial<WebAuthnOptions> = {}, clock: FakeClock = fakeClock()) {
  const app = await buildTestApp(t, {
    core: mfaCore,
    store,
    clock,
    plugins: [[mfaWebAuthn, { rpID: RP_ID, rpName: 'Example', origins: ORIGIN, ...options }]],
    routes: (app: FastifyInstance) => {
      const factor = () => app.mfa.factors.get('webauthn')!
      app.post<{ Body: CeremonyBody }>('/__test/ceremony/options', async (request) =>
        await factor().challenge!(request.body.userId ?? null, { purpose: request.body.purpose, binding: request.body.binding, request }))
      app.post<{ Body: CeremonyBody }>('/__test/ceremony/verify', async (request) =>
        await factor().verifyResponse!(request.body.userId ?? null, request.body.response, { purpose: request.body.purpose, binding: request.body.binding, request }))
    }
  })
  return { app, clock, user: agent(app) }
}

export const nowSec = (clock: FakeClock): number => Math.floor(clock.ms / 1000)

/** A signed-in session: password plus a fresh second factor when `fresh`, password only otherwise. */
export function sessionState (clock: FakeClock, userId: string, fresh = true) {
  return fresh
    ? { userId, aal: 2, amr: ['pwd', 'otp', 'mfa'], authTime: nowSec(clock), mfaTime: nowSec(clock), mfaMethod: 'totp' }
    : { userId, aal: 1, amr: ['pwd'], authTime: nowSec(clock) }
}
