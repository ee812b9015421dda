import t from 'tap'
// The software authenticator (node:crypto P-256, 'none' attestation, ES256 assertions) of the webauthn tests.
import { SoftAuthenticator } from '../../packages/webauthn/test/helpers/softAuthenticator.js'
import { ORIGIN, PASSWORD, RP_ID, browser, randomEmail, randomIp, sharedDatabase, signedUp, twoInstances } from './cluster.js'

// Two example-app instances on one MongoDB database and one Redis: WebAuthn challenges and rate limits.
const db = await sharedDatabase(t)
if (db) {
  t.test('a WebAuthn challenge issued by A verifies on B', async (t) => {
    const { a, b } = await twoInstances(t, db)
    const email = randomEmail('webauthn')
    const user = browser()
    await signedUp(a, user, email)
    const key = new SoftAuthenticator(ORIGIN, RP_ID)

    // Registration: options (and their challenge) from A, the authenticator's answer verified by B.
    const creation = await user.post(a, '/mfa/webauthn/register/options', { name: 'YubiKey' })
    t.equal(creation.statusCode, 200)
    const attestation = key.register(creation.json())
    const registered = await user.post(b, '/mfa/webauthn/register/verify', { response: attestation, name: 'YubiKey' })
    t.equal(registered.statusCode, 200, 'B verifies the registration A challenged')
    t.match(registered.json(), { credential: { id: key.id, name: 'YubiKey' } })
    t.equal((await user.get(a, '/mfa/webauthn/credentials')).json().credentials.length, 1, 'A lists the key B stored')
    await user.post(b, '/auth/logout')

    // Authentication: a login whose second factor is challenged by A and verified by B.
    const step1 = (await user.post(b, '/auth/login', { login: email, password: PASSWORD })).json()
    t.match(step1, { step: 'mfa' })
    t.ok(step1.methods.includes('webauthn'), 'the key is offered')
    const request = await user.post(a, '/auth/login/webauthn/options')
    t.equal(request.statusCode, 200)
    t.match(request.json(), { rpId: RP_ID, allowCredentials: [{ id: key.id }] })
    const assertion = key.authenticate(request.json())
    const done = await user.post(b, '/auth/login/webauthn/verify', { response: assertion })
    t.equal(done.statusCode, 200, 'B verifies the assertion A challenged')
    t.match(done.json(), { step: 'complete', aal: 3 })
    t.match((await user.get(a, '/auth/session')).json(), { aal: 3, mfaMethod: 'webauthn' }, 'A sees the login')

    // The step-up ceremony: challenged by B, verified by A; the stored counter moved on with each.
    const stepUp = (await user.post(b, '/auth/step-up/webauthn/options')).json()
    const fresh = await user.post(a, '/auth/step-up/webauthn/verify', { response: key.authenticate(stepUp) })
    t.equal(fresh.statusCode, 200, 'A verifies the step-up B challenged')
    const replayed = await user.post(b, '/auth/step-up/webauthn/verify', { response: key.authenticate(stepUp) })
    t.equal(replayed.statusCode, 401, 'that challenge is spent on B too')
    t.match(replayed.json(), { code: 'FST_MFA_INVALID_CODE' })
  })

  t.test('rate limits count across both instances', async (t) => {
    const { a, b } = await twoInstances(t, db, { AUTH_RATE_LIMIT: '5' })
    const ip = randomIp()
    const attempt = async (app: typeof a, n: number) =>
      await app.inject({ method: 'POST', url: '/auth/login', remoteAddress: ip, payload: { login: randomEmail(`nobody${n}`), password: 'wrong password' } })
    const statuses: number[] = []
    for (let n = 0; n < 6; n++) statuses.push((await attempt(n < 3 ? a : b, n)).statusCode)
    t.same(statuses, [401, 401, 401, 401, 401, 429], '3 on A and 3 on B from one address: the sixth is over the limit of 5')
    const limited = await attempt(b, 6)
    t.match(limited.json(), { statusCode: 429, code: 'FST_MFA_RATE_LIMITED' })
    t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After')
    t.equal((await attempt(a, 7)).statusCode, 429, 'A refuses that address too')
    const other = await a.inject({ method: 'POST', url: '/auth/login', remoteAddress: randomIp(), payload: { login: randomEmail('x'), password: 'wrong password' } })
    t.equal(other.statusCode, 401, 'another address is not limited')
  })
}
