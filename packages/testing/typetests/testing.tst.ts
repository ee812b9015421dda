import type { FastifyInstance } from 'fastify'
import type { Db } from 'mongodb'
import { agent, buildTestApp, eachStore, fakeClock, freshStore, storeKinds, type FakeClock } from '@fastify-mfa/testing'
import { describe, expect, test } from 'tstyche'

// The harness is plain JavaScript with a hand-written index.d.ts: these pin what the package tests rely on.
declare const t: { teardown(fn: () => unknown): void, test(...args: any[]): any }
declare const core: (app: FastifyInstance, options: { store: unknown }) => Promise<void>

describe('@fastify-mfa/testing', () => {
  test('buildTestApp needs core and a store, and gives a Fastify instance', () => {
    expect(buildTestApp(t, { core, store: 'memory' })).type.toBe<Promise<FastifyInstance>>()
    expect(buildTestApp(t, { core })).type.toRaiseError("Property 'store' is missing")
    expect(buildTestApp({}, { core, store: 'memory' })).type.toRaiseError("Property 'teardown' is missing")
  })

  test('stores are \'memory\' or a MongoDB Db, by kind', () => {
    expect(storeKinds()).type.toBe<Array<'memory' | 'mongodb'>>()
    expect(freshStore(t, 'mongodb')).type.toBe<Promise<'memory' | Db>>()
    expect(freshStore(t, 'redis')).type.toRaiseError(2345)
    void eachStore(t, async (_t, store, kind) => {
      expect(store).type.toBe<'memory' | Db>()
      expect(kind).type.toBe<'memory' | 'mongodb'>()
    })
  })

  test('the fake clock moves by seconds', () => {
    expect(fakeClock()).type.toBe<FakeClock>()
    expect(fakeClock().advance).type.toBeCallableWith(30)
    expect(fakeClock().advance).type.not.toBeCallableWith('30s')
  })

  test('an agent keeps its cookie jar', () => {
    expect(agent({} as FastifyInstance).jar).type.toBe<Map<string, string>>()
  })
})
