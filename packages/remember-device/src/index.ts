import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { createDeviceCookie, createRememberDeviceApi } from './devices.js'
import { resolveOptions, type RememberDeviceOptions } from './options.js'
import { registerDeviceRoutes } from './routes.js'
import './types.js'
import { createTrustedDeviceStore, deviceIndexes, type TrustedDevice } from './store.js'

async function rememberDevice (fastify: FastifyInstance, options: RememberDeviceOptions): Promise<void> {
  const mfa = fastify.mfa
  const opts = resolveOptions(options, mfa.options.prefix)
  const collection = mfa.collection<TrustedDevice>(opts.collection)
  mfa.ensureIndexes(collection, deviceIndexes)
  const store = createTrustedDeviceStore(collection, mfa.now)
  const cookie = createDeviceCookie(opts)

  mfa.devices = createRememberDeviceApi(mfa, store, cookie, opts)
  // check() already refuses devices issued under an older stamp; this removes them at once.
  mfa.registerUserData({
    securityChanged: async (userId) => { await store.revokeAll(userId) },
    forget: async (userId) => { await store.revokeAll(userId) }
  })
  mfa.addSummary('devices', async (userId) => await store.countLive(userId, await mfa.users.securityStamp(userId)))
  await registerDeviceRoutes(fastify, opts.prefix, store, cookie)
}

export const mfaRememberDevice = fp(rememberDevice, {
  fastify: '5.x',
  name: '@fastify-mfa/remember-device',
  dependencies: ['@fastify-mfa/core', '@fastify/cookie']
})
export default mfaRememberDevice

export type { RememberDeviceOptions, ResolvedRememberDeviceOptions } from './options.js'
export type { TrustedDevice } from './store.js'
