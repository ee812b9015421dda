import type { FastifyReply, FastifyRequest } from 'fastify'
import type { MfaApi } from '@fastify-mfa/core'
import { sha256, withDetails, type FactorResult, type MfaFactor, type SendResult } from '@fastify-mfa/core/plugin-kit'
import { errors } from './errors.js'
import type { Lockout } from './lockout.js'
import type { ResolvedLoginOptions } from './options.js'
import type { Policy } from './policy.js'
import { signedInState, type SignedIn } from './session.js'
import type { LoginStore, PendingLogin } from './store.js'
import type { LoginAnswer } from './types.js'

type Verified = Extract<FactorResult, { ok: true }>
export interface SendAnswer { sentTo: string, expiresAt: string, resendAfter: string }
const answerOf = (r: SendResult): SendAnswer => ({ sentTo: r.sentTo, expiresAt: r.expiresAt.toISOString(), resendAfter: r.resendAfter.toISOString() })

/**
 * The sign-in paths, each in the same order: the policy decides (`policy.decide`), the lockout
 * guards the check, the factor checks, and core records the session. Routes only parse input.
 */
export function createFlow (mfa: MfaApi, opts: ResolvedLoginOptions, store: LoginStore, policy: Policy, lockout: Lockout,
  issueDeviceCookie: (request: FastifyRequest, reply: FastifyReply, userId: string) => Promise<void>) {
  /** `also`: further events of the sign-in (the accepted code), written with its others. */
  async function complete (request: FastifyRequest, reply: FastifyReply, state: SignedIn, also: () => Promise<unknown> = async () => {}): Promise<LoginAnswer> {
    await mfa.sessions.establish(request, signedInState(state))
    if (!state.enrollOnly) await opts.onSignedIn?.(request, reply, { userId: state.userId, aal: state.aal, amr: state.amr })
    // The sign-in's events are emitted in one tick, so core writes them with one insertMany. The
    // browser is known to the account from now on: its wrong passwords are counted apart.
    await Promise.all([
      also(),
      issueDeviceCookie(request, reply, state.userId),
      mfa.emit('login.success', { userId: state.userId, request, method: state.check?.method ?? null, details: { aal: state.aal, amr: state.amr } })
    ])
    return {
      step: 'complete',
      aal: state.aal,
      ...(state.enrollOnly ? { enrollmentRequired: true } : {}),
      ...(state.suggestEnrollment ? { suggestEnrollment: true } : {})
    }
  }

  /**
   * After a right password (`POST /auth/login` or the host's `login.begin`): finish, or open a pending
   * login for the second factor. A locked account gets 423 here, after its password was right, so
   * neither a pending login nor a remembered device gets around the lock.
   */
  async function begin (request: FastifyRequest, reply: FastifyReply, userId: string): Promise<LoginAnswer> {
    const decision = await policy.decide(userId)
    const authTime = mfa.nowSeconds()
    if (decision.enrolled.length === 0) {
      // No second factor, so no lockout of one: the lock state is read only for users who have one.
      // Inside the grace period of a required policy the user is nudged at once; otherwise
      // GET /auth/session decides from the audit trail (kept off the login's hot path).
      const suggestEnrollment = !decision.mustEnrol && opts.mode === 'required'
      return await complete(request, reply, { userId, aal: 1, amr: ['pwd'], authTime, enrollOnly: decision.mustEnrol, suggestEnrollment })
    }
    const lock = await lockout.assertNotLocked(userId)
    if (decision.deviceMaySkip && mfa.devices && await mfa.devices.check(request, userId)) {
      return await complete(request, reply, { userId, aal: 2, amr: ['pwd', 'rmd', 'mfa'], authTime })
    }
    // Past the bound of wrong codes in a row, only a phishing-resistant factor is offered.
    const methods = lock.codesBlocked ? decision.methods.filter((m) => mfa.factors.get(m)?.phishingResistant === true) : decision.methods
    if (methods.length === 0) throw lockout.codesBlockedError()
    const { token, doc } = await store.create(userId, methods, !decision.fullSession, decision.fullSession ? decision.requiredAmr : null, lock)
    await mfa.sessions.establish(request, { aal: 0, amr: [], pending: { id: doc._id, expiresAt: Math.floor(doc.expiresAt.getTime() / 1000), methods: doc.methods } })
    await mfa.emit('login.password_ok', { userId, request, details: { methods: doc.methods } })
    return { step: 'mfa', mfaToken: token, methods: doc.methods, expiresAt: doc.expiresAt.toISOString() }
  }

  async function findPending (request: FastifyRequest, mfaToken: string | undefined): Promise<PendingLogin> {
    const id = mfaToken ? sha256(mfaToken) : request.session.get('mfa')?.pending?.id
    const pending = id ? await store.find(id) : null
    if (!pending) throw new errors.FST_MFA_LOGIN_EXPIRED()
    return pending
  }

  /** Second step of a login: checks one factor against the pending login, then signs in. */
  async function verifyPending (request: FastifyRequest, reply: FastifyReply, input: { mfaToken?: string, method: string, rememberDevice?: boolean },
    check: (pending: PendingLogin) => Promise<FactorResult>): Promise<LoginAnswer> {
    const pending = await findPending(request, input.mfaToken)
    if (!pending.methods.includes(input.method)) throw withDetails(new errors.FST_MFA_METHOD_NOT_ALLOWED(), { methods: pending.methods })
    const expired = async (): Promise<never> => {
      await store.discard(pending._id)
      throw new errors.FST_MFA_LOGIN_EXPIRED()
    }
    const answer = await lockout.underLockout(pending.userId, mfa.factors.get(input.method)!, async ({ attempt, refuse }) => {
      const result = await check(pending)
      if (!result.ok || result.userId !== pending.userId) {
        if (attempt!.left === 0) await store.discard(pending._id)
        return await refuse(request, input.method, result)
      }
      policy.assertResult(pending.requiredAmr, result.amr)
      if (!await store.consume(pending)) throw new errors.FST_MFA_LOGIN_EXPIRED()
      return await complete(request, reply, {
        userId: pending.userId,
        aal: result.aal,
        amr: ['pwd', ...result.amr, 'mfa'],
        authTime: pending.authTime,
        check: { method: input.method, aal: result.aal, at: mfa.nowSeconds() },
        enrollOnly: pending.enrollOnly === true
      }, async () => await mfa.emit('mfa.code_accepted', { userId: pending.userId, method: input.method, request }))
    }, { pending, expired })
    if (input.rememberDevice && mfa.devices && pending.enrollOnly !== true) await mfa.devices.remember(request, reply, pending.userId)
    return answer
  }

  /** Passwordless sign-in with a verified passkey (user verification done: two factors in one). */
  async function passkey (request: FastifyRequest, reply: FastifyReply, factor: MfaFactor, result: Verified): Promise<LoginAnswer> {
    const [decision] = await Promise.all([
      policy.decide(result.userId).catch(async (err: unknown) => {
        // The host no longer knows the user (deleted, disabled): refused like a wrong password.
        await mfa.emit('login.passkey_failed', { userId: result.userId, method: factor.id, request, details: { reason: 'unknown_user' } })
        throw err
      }),
      lockout.assertNotLocked(result.userId)
    ])
    policy.assertMethod(decision, factor.id)
    if (decision.fullSession) policy.assertResult(decision.requiredAmr, result.amr)
    // A phishing-resistant factor ends the run of wrong codes (and a block of codes).
    await lockout.resetFailures(result.userId)
    const now = mfa.nowSeconds()
    return await complete(request, reply, {
      userId: result.userId,
      aal: result.aal,
      amr: [...result.amr, 'mfa'],
      authTime: now,
      check: { method: factor.id, aal: result.aal, at: now },
      enrollOnly: !decision.fullSession
    })
  }

  /**
   * Step-up: a signed-in user proves a factor again. Only a method the policy allows counts (403
   * otherwise, before anything is checked); it refreshes its own level only, and the session gets a
   * new id. An enrol-only session stays so unless the factor gives a full session.
   */
  async function stepUp (request: FastifyRequest, reply: FastifyReply, factor: MfaFactor, check: (userId: string) => Promise<FactorResult>): Promise<{ aal: number, mfaTime: number }> {
    const userId = request.mfa.userId!
    const decision = await policy.decide(userId)
    policy.assertMethod(decision, factor.id)
    const current = request.session.get('mfa')!
    let meetsRole = true
    const result = await lockout.underLockout(userId, factor, async ({ refuse }) => {
      const result = await check(userId)
      if (!result.ok || result.userId !== userId) return await refuse(request, factor.id, result)
      meetsRole = policy.meetsResult(decision.requiredAmr, result.amr)
      // An enrol-only session may prove a factor the role does not accept (a synced passkey where it
      // needs a hardware key): it stays enrol-only, fresh enough to add what the role needs.
      if (decision.fullSession && !meetsRole && current.enrollOnly !== true) policy.assertResult(decision.requiredAmr, result.amr)
      return result
    })
    const now = mfa.nowSeconds()
    const aal = Math.max(current.aal, result.aal) as 1 | 2 | 3
    await mfa.sessions.establish(request, signedInState({
      userId,
      aal,
      amr: [...current.amr, ...result.amr, 'mfa'],
      authTime: current.authTime ?? now,
      checks: current.checks,
      check: { method: factor.id, aal: result.aal, at: now },
      enrollOnly: !decision.fullSession || !meetsRole
    }))
    await mfa.emit('mfa.step_up', { userId, method: factor.id, request, details: { aal: result.aal } })
    // An enrol-only session that this step-up made a full one: the sign-in completes now.
    if (current.enrollOnly === true && decision.fullSession && meetsRole) await opts.onSignedIn?.(request, reply, { userId, aal, amr: [...new Set([...current.amr, ...result.amr, 'mfa'])] })
    return { aal: result.aal, mfaTime: now }
  }

  /** Sends a code (email, SMS) for the second step of a pending login: only a method it offers. */
  async function sendForLogin (request: FastifyRequest, input: { mfaToken?: string, method: string }): Promise<SendAnswer> {
    const pending = await findPending(request, input.mfaToken)
    if (!pending.methods.includes(input.method)) throw withDetails(new errors.FST_MFA_METHOD_NOT_ALLOWED(), { methods: pending.methods })
    return answerOf(await sendingFactor(input.method).send!(pending.userId, { purpose: 'login', binding: pending._id, request }))
  }

  /** Sends a code for a step-up: only a method the policy allows the user now. */
  async function sendForStepUp (request: FastifyRequest, method: string, binding: string): Promise<SendAnswer> {
    const userId = request.mfa.userId!
    policy.assertMethod(await policy.decide(userId), method)
    return answerOf(await sendingFactor(method).send!(userId, { purpose: 'step-up', binding, request }))
  }

  const sendingFactor = (method: string): MfaFactor => {
    const factor = mfa.factors.get(method)
    if (!factor?.send) throw new errors.FST_MFA_METHOD_NOT_ALLOWED()
    return factor
  }

  return { begin, verifyPending, passkey, stepUp, sendForLogin, sendForStepUp, findPending, discardPending: store.discard }
}

export type LoginFlow = ReturnType<typeof createFlow>
