import type { Agent } from '@fastify-mfa/testing'
import type { FastifyInstance } from 'fastify'
import type { ChallengeDocument } from '../../src/store.js'

/** Management route calls and factor calls (as mfa-login makes them) for the tests. */
export const registerOptions = async (user: Agent, name?: string) =>
  await user.inject({ method: 'POST', url: '/mfa/webauthn/register/options', payload: name === undefined ? {} : { name } })

export const registerVerify = async (user: Agent, response: unknown, name?: string) =>
  await user.inject({ method: 'POST', url: '/mfa/webauthn/register/verify', payload: { response, ...(name === undefined ? {} : { name }) } })

export interface Ceremony { purpose: 'login' | 'step-up' | 'passkey', binding: string, userId: string | null }

export const ceremonyOptions = async (user: Agent, ceremony: Ceremony) =>
  await user.inject({ method: 'POST', url: '/__test/ceremony/options', payload: ceremony })

export const ceremonyVerify = async (user: Agent, ceremony: Ceremony, response: unknown) =>
  (await user.inject({ method: 'POST', url: '/__test/ceremony/verify', payload: { ...ceremony, response } })).json()

/**
 * Published test vectors sign a fixed challenge, so the challenge the plugin just issued is swapped
 * for the vector's, keeping the binding the plugin gave it.
 */
export async function plantChallenge (app: FastifyInstance, issued: string, planted: string): Promise<void> {
  const challenges = app.mfa.collection<ChallengeDocument>('webauthn_challenges')
  const doc = await challenges.findOne({ _id: issued })
  if (!doc) throw new Error('no issued challenge to replace')
  await challenges.deleteOne({ _id: issued })
  await challenges.insertOne({ ...doc, _id: planted })
}

/** The automatic passkey upgrade's routes (conditional create). */
export const conditionalOptions = async (user: Agent) =>
  await user.inject({ method: 'POST', url: '/mfa/webauthn/register/conditional/options', payload: {} })

export const conditionalVerify = async (user: Agent, response: unknown) =>
  await user.inject({ method: 'POST', url: '/mfa/webauthn/register/conditional/verify', payload: { response } })

export const signals = async (user: Agent) => await user.inject({ url: '/mfa/webauthn/signals' })
