/** JSON schemas of the management routes: bad input is a 400 that changes nothing. */

const credentialName = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$' } as const

// Credential ids are at most 1023 bytes (WebAuthn §5.8.3 / CTAP2), i.e. 1364 base64url characters.
const credentialId = { type: 'string', minLength: 1, maxLength: 1364, pattern: '^[A-Za-z0-9_-]+$' } as const

/** A PublicKeyCredential as JSON (`toJSON()` / @simplewebauthn/browser); browsers may add fields. */
const publicKeyCredential = {
  type: 'object',
  required: ['id', 'rawId', 'type', 'response'],
  properties: {
    id: credentialId,
    rawId: credentialId,
    type: { type: 'string', const: 'public-key' },
    response: { type: 'object' },
    clientExtensionResults: { type: 'object' },
    authenticatorAttachment: { type: 'string', maxLength: 32 }
  }
} as const

const credentialView = {
  type: 'object',
  required: ['id', 'name', 'createdAt', 'deviceType', 'backupEligible', 'backedUp', 'authenticatorName', 'transports'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'string' },
    lastUsedAt: { type: ['string', 'null'] },
    deviceType: { type: 'string' },
    backupEligible: { type: 'boolean' },
    backedUp: { type: 'boolean' },
    authenticatorName: { type: ['string', 'null'] },
    transports: { type: 'array', items: { type: 'string' } }
  }
} as const

/** @simplewebauthn's options for `navigator.credentials.create()`, passed on whole (its fields change with its versions). */
const creationOptions = {
  type: 'object',
  additionalProperties: true,
  description: 'PublicKeyCredentialCreationOptionsJSON for navigator.credentials.create()'
} as const

export const registerOptionsSchema = {
  body: { type: 'object', additionalProperties: false, properties: { name: credentialName } },
  response: { 200: creationOptions }
} as const

export const registerVerifySchema = {
  body: { type: 'object', additionalProperties: false, required: ['response'], properties: { response: publicKeyCredential, name: credentialName } },
  response: {
    200: {
      type: 'object',
      required: ['credential'],
      additionalProperties: false,
      properties: { credential: credentialView, backupCodes: { type: 'array', items: { type: 'string' } } }
    }
  }
} as const

export const listSchema = {
  response: { 200: { type: 'object', required: ['credentials'], additionalProperties: false, properties: { credentials: { type: 'array', items: credentialView } } } }
} as const

const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: credentialId } } as const

export const renameSchema = {
  params: idParams,
  body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: credentialName } },
  response: { 200: { type: 'object', required: ['credential'], additionalProperties: false, properties: { credential: credentialView } } }
} as const

export const removeSchema = { params: idParams, response: { 204: { type: 'null', description: 'The credential is removed' } } } as const

const noBody = { type: 'object', additionalProperties: false, maxProperties: 0 } as const

export const conditionalOptionsSchema = { body: noBody, response: { 200: creationOptions } } as const

export const conditionalVerifySchema = {
  body: { type: 'object', additionalProperties: false, required: ['response'], properties: { response: publicKeyCredential } },
  response: { 200: { type: 'object', required: ['credential'], additionalProperties: false, properties: { credential: credentialView } } }
} as const

const strings = { type: 'array', items: { type: 'string' } } as const

export const signalsSchema = {
  response: {
    200: {
      type: 'object',
      required: ['allAcceptedCredentials', 'currentUserDetails'],
      additionalProperties: false,
      properties: {
        allAcceptedCredentials: {
          type: 'object',
          required: ['rpId', 'userId', 'allAcceptedCredentialIds'],
          additionalProperties: false,
          properties: { rpId: { type: 'string' }, userId: { type: 'string' }, allAcceptedCredentialIds: strings }
        },
        currentUserDetails: {
          type: 'object',
          required: ['rpId', 'userId', 'name', 'displayName'],
          additionalProperties: false,
          properties: { rpId: { type: 'string' }, userId: { type: 'string' }, name: { type: 'string' }, displayName: { type: 'string' } }
        }
      }
    }
  }
} as const

export const wellKnownSchema = {
  response: { 200: { type: 'object', required: ['origins'], additionalProperties: false, properties: { origins: strings } } }
} as const
