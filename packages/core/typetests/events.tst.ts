import fastify from 'fastify'
import type { MfaEvent, MfaEventMap, MfaEventType, TypedEvent } from '@fastify-mfa/core'
import { describe, expect, test } from 'tstyche'

const app = fastify()

describe('fastify.mfa.on', () => {
  test('a hook gets the event of its type, with the details typed', () => {
    app.mfa.on('security_stamp.changed', (event) => {
      expect(event).type.toBe<TypedEvent<'security_stamp.changed'>>()
      expect(event.type).type.toBe<'security_stamp.changed'>()
      expect(event.details).type.toBe<{ reason: string, sessionsEnded: number }>()
    })
    app.mfa.on('session.ended', (event) => {
      expect(event.details.reason).type.toBe<'signed_out' | 'user' | 'all_others'>()
    })
  })

  test('\'*\' gets every event, untyped details', () => {
    app.mfa.on('*', (event) => { expect(event).type.toBe<MfaEvent>() })
  })

  test('a misspelled event type, or a detail the event lacks, does not compile', () => {
    expect(app.mfa.on('security_stamp.chnaged', () => {})).type.toRaiseError('"security_stamp.chnaged"')
    expect(app.mfa.on('factor.removed', (event) => { void event.details.sessionsEnded })).type.toRaiseError("Property 'sessionsEnded' does not exist")
  })

  test('core alone declares its four events; packages merge theirs into MfaEventMap', () => {
    expect<MfaEventType>().type.toBe<'security_stamp.changed' | 'session.ended' | 'factor.added' | 'factor.removed'>()
  })
})

describe('fastify.mfa.emit', () => {
  test('details must be the event\'s', () => {
    expect(app.mfa.emit('factor.removed', { userId: 'u1', details: { reason: 'user' } })).type.toBe<Promise<MfaEvent>>()
    expect(app.mfa.emit('factor.removed', { userId: 'u1', details: { reason: 42 } })).type.toRaiseError(2322)
    expect(app.mfa.emit('factor.remvoed', { userId: 'u1' })).type.toRaiseError(2345)
  })

  test('a package\'s own event, merged into MfaEventMap, is typed as well', () => {
    expect<MfaEventMap['factor.removed']>().type.toBe<{ reason: string }>()
  })
})
