/**
 * Response schemas of the /auth routes, for @fastify/swagger. Fastify serializes answers through
 * them (fast-json-stringify drops any field not listed), so each lists every field its handler can
 * return, and the open-ended ones (a factor's challenge, the factor summary) keep all properties.
 */
const strings = { type: 'array', items: { type: 'string' } } as const
const aal = { type: 'integer', enum: [0, 1, 2, 3], description: 'authenticator assurance level (NIST SP 800-63B)' } as const

/** `LoginAnswer` (types.ts): one flat object, so no field depends on a oneOf branch being picked. */
const loginAnswerProperties = {
  step: { type: 'string', enum: ['complete', 'mfa'] },
  aal,
  enrollmentRequired: { type: 'boolean', description: 'signed in to enrol a factor only' },
  suggestEnrollment: { type: 'boolean' },
  mfaToken: { type: 'string', description: 'step "mfa": names the pending login for clients without the session cookie' },
  methods: { ...strings, description: 'step "mfa": the factor ids that may finish the login' },
  expiresAt: { type: 'string', format: 'date-time', description: 'step "mfa": when the pending login ends' }
} as const

/** `POST /auth/login`: signed in, or a pending login that needs a second factor. */
export const loginAnswer = {
  200: {
    type: 'object',
    description: 'step "complete": signed in (aal); step "mfa": not signed in yet, a second factor is needed',
    required: ['step'],
    properties: loginAnswerProperties
  }
} as const

/** The second step of a login and the passkey sign-in: always complete. */
export const completeAnswer = {
  type: 'object',
  description: 'Signed in',
  required: ['step', 'aal'],
  properties: {
    step: { type: 'string', enum: ['complete'] },
    aal: loginAnswerProperties.aal,
    enrollmentRequired: loginAnswerProperties.enrollmentRequired,
    suggestEnrollment: loginAnswerProperties.suggestEnrollment
  }
} as const

/** A step-up: the level the factor proved and when (epoch seconds). */
export const stepUpAnswer = {
  type: 'object',
  description: 'The factor was verified again: the session is fresh',
  additionalProperties: false,
  required: ['aal', 'mfaTime'],
  properties: { aal, mfaTime: { type: 'integer', description: 'epoch seconds' } }
} as const

/** The approval verify routes while nobody decided yet: the client asks again. */
export const pendingApproval = {
  type: 'object',
  description: 'Not decided yet: ask again',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { type: 'string', enum: ['pending'] } }
} as const

/** A ceremony factor's challenge (WebAuthn: the options for `navigator.credentials.get()`), passed on whole. */
export const ceremonyOptions = {
  200: { type: 'object', additionalProperties: true, description: 'The challenge for the factor\'s client (WebAuthn: PublicKeyCredentialRequestOptionsJSON)' }
} as const

const nullable = (schema: { type: string }) => ({ ...schema, type: [schema.type, 'null'] })
const epochSeconds = { type: 'integer', description: 'epoch seconds' } as const

/** `GET /auth/session`: `request.mfa` as JSON (spread: more fields of core's pass through), the factors and the nudge. */
export const sessionAnswer = {
  200: {
    type: 'object',
    description: 'The MFA state of this session (signed out: userId null, factors null)',
    additionalProperties: true,
    required: ['signedIn', 'userId', 'aal', 'amr', 'authTime', 'mfaTime', 'mfaMethod', 'enrollOnly', 'pending', 'factors', 'suggestEnrollment'],
    properties: {
      signedIn: { type: 'boolean', description: 'completely signed in: not pending, not enrol-only' },
      userId: nullable({ type: 'string' }),
      aal,
      amr: { ...strings, description: 'RFC 8176 authentication method references' },
      authTime: nullable(epochSeconds),
      mfaTime: nullable(epochSeconds),
      mfaMethod: nullable({ type: 'string' }),
      enrollOnly: { type: 'boolean' },
      pending: {
        type: ['object', 'null'],
        description: 'a login waiting for its second factor',
        properties: { expiresAt: epochSeconds, methods: strings }
      },
      fresh: { type: 'boolean', description: 'a second factor was verified within freshAge' },
      freshAal3: { type: 'boolean', description: 'a phishing-resistant factor was verified within freshAge' },
      methods: { ...strings, description: 'the factors the user has' },
      requiredMethods: { type: ['array', 'null'], items: { type: 'string' }, description: 'what the user\'s roles require (null: any factor)' },
      stepUpMethods: { ...strings, description: 'what a step-up accepts now' },
      factors: { type: ['object', 'null'], additionalProperties: true, description: 'the summary of GET /mfa' },
      suggestEnrollment: { type: 'boolean' }
    }
  }
} as const

/** `GET /auth/events`: the user's audit trail, newest first. */
export const eventsAnswer = {
  200: {
    type: 'array',
    description: 'The user\'s security events, newest first',
    items: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'type', 'method', 'ip', 'userAgent', 'at', 'details'],
      properties: {
        id: { type: 'string' },
        type: { type: 'string', description: 'e.g. login.success, totp.enabled' },
        method: nullable({ type: 'string' }),
        ip: nullable({ type: 'string' }),
        userAgent: nullable({ type: 'string' }),
        at: { type: 'string', format: 'date-time' },
        details: { type: 'object', additionalProperties: true }
      }
    }
  }
} as const
