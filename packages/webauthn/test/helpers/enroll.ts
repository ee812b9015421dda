import { agent, type Agent } from '@fastify-mfa/testing'
import { ORIGIN, RP_ID, sessionState, type buildApp } from './app.js'
import { ceremonyOptions, ceremonyVerify, registerOptions, registerVerify, type Ceremony } from './ceremonies.js'
import { SoftAuthenticator, type CeremonyOverrides, type SoftAuthenticatorOptions } from './softAuthenticator.js'

type TestApp = Awaited<ReturnType<typeof buildApp>>

/** Registers `authenticator` through the management routes of the signed-in `user`. */
export async function enroll (user: Agent, authenticator: SoftAuthenticator, { name, overrides }: { name?: string, overrides?: CeremonyOverrides } = {}) {
  const options = await registerOptions(user, name)
  if (options.statusCode !== 200) throw new Error(`register/options failed: ${options.body}`)
  return await registerVerify(user, authenticator.register(options.json(), overrides))
}

/** Registers a fresh authenticator for `userId` through the routes, in a session of its own. */
export async function enrolled ({ app, clock }: TestApp, userId: string, options: SoftAuthenticatorOptions = {}): Promise<SoftAuthenticator> {
  const user = agent(app)
  await user.signIn(sessionState(clock, userId, true))
  const authenticator = new SoftAuthenticator(ORIGIN, RP_ID, options)
  const res = await enroll(user, authenticator)
  if (res.statusCode !== 200) throw new Error(res.body)
  return authenticator
}

/** One full ceremony as mfa-login runs it: factor options, the authenticator's answer, verification. */
export async function ceremony ({ user }: TestApp, authenticator: SoftAuthenticator, c: Ceremony, overrides: CeremonyOverrides = {}) {
  const options = (await ceremonyOptions(user, c)).json()
  return await ceremonyVerify(user, c, authenticator.authenticate(options, overrides))
}

export const login = (userId: string, binding = 'pending-1'): Ceremony => ({ purpose: 'login', binding, userId })
export const passkey = (binding = 'ceremony-1'): Ceremony => ({ purpose: 'passkey', binding, userId: null })
