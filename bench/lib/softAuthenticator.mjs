// A software WebAuthn authenticator on node:crypto (P-256 / ES256, 'none' attestation, a counting
// signature counter): the part of packages/webauthn/test/helpers/softAuthenticator.ts (and its
// CBOR encoder) the commands benchmark needs to register a key and sign assertions, in plain JS.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto'

const FLAG_UP = 0x01
const FLAG_UV = 0x04
const FLAG_AT = 0x40

const sha256 = (data) => createHash('sha256').update(data).digest()
const b64url = (data) => data.toString('base64url')

function cborHead (major, length) {
  if (length < 24) return Buffer.from([(major << 5) | length])
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length])
  if (length < 0x10000) return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff])
  const out = Buffer.alloc(5)
  out[0] = (major << 5) | 26
  out.writeUInt32BE(length, 1)
  return out
}

/** CBOR (RFC 8949) of numbers, strings, byte strings, arrays and Maps: what attestation objects use. */
function encodeCbor (value) {
  if (typeof value === 'number') return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value)
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8')
    return Buffer.concat([cborHead(3, bytes.length), bytes])
  }
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), value])
  if (Array.isArray(value)) return Buffer.concat([cborHead(4, value.length), ...value.map(encodeCbor)])
  const parts = [cborHead(5, value.size)]
  for (const [key, item] of value) parts.push(encodeCbor(key), encodeCbor(item))
  return Buffer.concat(parts)
}

export class SoftAuthenticator {
  constructor (origin, rpId) {
    this.origin = origin
    this.rpId = rpId
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    this.privateKey = privateKey
    this.publicKey = publicKey
    this.credentialId = randomBytes(32)
    this.counter = 0
    this.userHandle = null
  }

  get id () { return b64url(this.credentialId) }

  coseKey () {
    const jwk = this.publicKey.export({ format: 'jwk' })
    // COSE_Key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y (RFC 9053 §7.1).
    return encodeCbor(new Map([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x, 'base64url')], [-3, Buffer.from(jwk.y, 'base64url')]]))
  }

  authenticatorData (flags, attested) {
    const count = Buffer.alloc(4)
    count.writeUInt32BE(this.counter)
    return Buffer.concat([sha256(this.rpId), Buffer.from([flags]), count, attested ?? Buffer.alloc(0)])
  }

  clientData (type, challenge) {
    return Buffer.from(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }), 'utf8')
  }

  /** Answers `navigator.credentials.create()` options (user present and verified, device-bound). */
  register (options) {
    this.userHandle = options.user?.id ?? null
    const idLength = Buffer.alloc(2)
    idLength.writeUInt16BE(this.credentialId.length)
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, this.coseKey()])
    const authData = this.authenticatorData(FLAG_UP | FLAG_UV | FLAG_AT, attested)
    const attestationObject = encodeCbor(new Map([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]))
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      response: { clientDataJSON: b64url(this.clientData('webauthn.create', options.challenge)), attestationObject: b64url(attestationObject), transports: ['usb'] }
    }
  }

  /** Answers `navigator.credentials.get()` options: signs authenticatorData || SHA-256(clientDataJSON). */
  authenticate (options) {
    this.counter++
    const authData = this.authenticatorData(FLAG_UP | FLAG_UV)
    const clientDataJSON = this.clientData('webauthn.get', options.challenge)
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey)
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(this.userHandle ? { userHandle: this.userHandle } : {})
      }
    }
  }
}
