import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import { encodeCbor, type CborValue } from './cbor.js'

/**
 * A software WebAuthn authenticator on node:crypto (P-256 / ES256): it builds clientDataJSON,
 * authenticator data (flags, signature counter, attested credential data), a 'none' attestation
 * object and assertion signatures, as a browser and a security key or passkey provider would.
 */
export interface SoftAuthenticatorOptions {
  /** `multiDevice` sets the backup-eligible and backed-up flags (a synced passkey). @default 'singleDevice' */
  deviceType?: 'singleDevice' | 'multiDevice'
  /** The BE flag (the credential may be synced). @default deviceType === 'multiDevice' */
  backupEligible?: boolean
  /** The BS flag (the credential is backed up now); only meaningful with BE. @default backupEligible */
  backedUp?: boolean
  /** Whether the signature counter counts; many passkey providers leave it at 0. @default true */
  counts?: boolean
  /** Whether the UV flag is set (PIN or biometric checked). @default true */
  userVerified?: boolean
  /** Whether the UP flag is set (a gesture); a password manager's conditional create may clear it. @default true */
  userPresent?: boolean
  /** The AAGUID in the attested credential data (UUID). @default all zeros */
  aaguid?: string
  credentialId?: Buffer
}

export interface CeremonyOverrides {
  origin?: string
  rpId?: string
  userVerified?: boolean
  userPresent?: boolean
  /** Forces the BE flag of this response (an authenticator that changed its mind). */
  backupEligible?: boolean
  /** Forces the signature counter of this assertion (cloned or rewound authenticator). */
  counter?: number
  type?: string
  challenge?: string
  /** Omit the user handle from an assertion (a non-discoverable credential). */
  omitUserHandle?: boolean
}

const FLAG_UP = 0x01
const FLAG_UV = 0x04
const FLAG_BE = 0x08
const FLAG_BS = 0x10
const FLAG_AT = 0x40

const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest()
const b64url = (data: Buffer): string => data.toString('base64url')

export class SoftAuthenticator {
  readonly credentialId: Buffer
  readonly deviceType: 'singleDevice' | 'multiDevice'
  readonly aaguid: string
  counter = 0
  userHandle: string | null = null
  private readonly privateKey: KeyObject
  private readonly publicKey: KeyObject
  private readonly counts: boolean
  private readonly userVerified: boolean
  private readonly userPresent: boolean
  private readonly backupEligible: boolean
  private readonly backedUp: boolean

  constructor (readonly origin: string, readonly rpId: string, options: SoftAuthenticatorOptions = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    this.privateKey = privateKey
    this.publicKey = publicKey
    this.credentialId = options.credentialId ?? randomBytes(32)
    this.backupEligible = options.backupEligible ?? options.deviceType === 'multiDevice'
    this.deviceType = this.backupEligible ? 'multiDevice' : 'singleDevice'
    this.backedUp = options.backedUp ?? this.backupEligible
    this.aaguid = options.aaguid ?? '00000000-0000-0000-0000-000000000000'
    this.counts = options.counts ?? true
    this.userVerified = options.userVerified ?? true
    this.userPresent = options.userPresent ?? true
  }

  get id (): string { return b64url(this.credentialId) }

  private coseKey (): Buffer {
    const jwk = this.publicKey.export({ format: 'jwk' })
    // COSE_Key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y (RFC 9053 §7.1).
    return encodeCbor(new Map<number, Uint8Array | number>([
      [1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]
    ]))
  }

  private flags (overrides: CeremonyOverrides, attested: boolean): number {
    const eligible = overrides.backupEligible ?? this.backupEligible
    return ((overrides.userPresent ?? this.userPresent) ? FLAG_UP : 0) |
      ((overrides.userVerified ?? this.userVerified) ? FLAG_UV : 0) |
      (eligible ? FLAG_BE : 0) | (eligible && this.backedUp ? FLAG_BS : 0) |
      (attested ? FLAG_AT : 0)
  }

  private authenticatorData (rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4)
    count.writeUInt32BE(counter)
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, attested ?? Buffer.alloc(0)])
  }

  private clientData (type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }), 'utf8')
  }

  /** Answers `navigator.credentials.create()` options with a 'none' attestation. */
  register (options: { challenge: string, user?: { id: string } }, overrides: CeremonyOverrides = {}) {
    this.userHandle = options.user?.id ?? null
    const idLength = Buffer.alloc(2)
    idLength.writeUInt16BE(this.credentialId.length)
    const aaguid = Buffer.from(this.aaguid.replace(/-/g, ''), 'hex')
    const attested = Buffer.concat([aaguid, idLength, this.credentialId, this.coseKey()])
    const authData = this.authenticatorData(overrides.rpId ?? this.rpId, this.flags(overrides, true), 0, attested)
    const clientDataJSON = this.clientData(overrides.type ?? 'webauthn.create', overrides.challenge ?? options.challenge, overrides.origin ?? this.origin)
    const attestationObject = encodeCbor(new Map<string, CborValue>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]))
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      clientExtensionResults: {},
      response: { clientDataJSON: b64url(clientDataJSON), attestationObject: b64url(attestationObject), transports: ['usb'] }
    }
  }

  /** Answers `navigator.credentials.get()` options: signs authenticatorData || SHA-256(clientDataJSON). */
  authenticate (options: { challenge: string }, overrides: CeremonyOverrides = {}) {
    if (overrides.counter !== undefined) this.counter = overrides.counter
    else if (this.counts) this.counter++
    const authData = this.authenticatorData(overrides.rpId ?? this.rpId, this.flags(overrides, false), this.counter)
    const clientDataJSON = this.clientData(overrides.type ?? 'webauthn.get', overrides.challenge ?? options.challenge, overrides.origin ?? this.origin)
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
        ...(this.userHandle && !overrides.omitUserHandle ? { userHandle: this.userHandle } : {})
      }
    }
  }
}
