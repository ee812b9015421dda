/** JSON schemas of the /auth routes: anything else is a 400 before a handler runs. */
export const token = { type: 'string', minLength: 16, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' } as const
export const method = { type: 'string', minLength: 1, maxLength: 40, pattern: '^[a-z][a-z0-9-]*$' } as const
export const code = { type: 'string', minLength: 1, maxLength: 64 } as const
// A WebAuthn response is checked by the factor; here only its outer shape and size.
export const ceremonyResponse = { type: 'object', maxProperties: 16 } as const

const object = (properties: Record<string, object>, required: string[] = []) =>
  ({ type: 'object', additionalProperties: false, properties, required }) as const

export const loginBody = object({
  login: { type: 'string', minLength: 1, maxLength: 320 },
  password: { type: 'string', minLength: 1, maxLength: 1024 }
}, ['login', 'password'])
export const verifyBody = object({ mfaToken: token, method, code, rememberDevice: { type: 'boolean' } }, ['method', 'code'])
export const noBody = { type: 'object', additionalProperties: false, maxProperties: 0 } as const
export const ceremonyOptionsBody = object({ mfaToken: token })
export const ceremonyVerifyBody = object({ mfaToken: token, response: ceremonyResponse, rememberDevice: { type: 'boolean' } }, ['response'])
export const passkeyVerifyBody = object({ response: ceremonyResponse }, ['response'])
export const stepUpBody = object({ method, code }, ['method', 'code'])
export const loginSendBody = object({ mfaToken: token, method }, ['method'])
export const stepUpSendBody = object({ method }, ['method'])
export const stepUpCeremonyBody = object({ response: ceremonyResponse }, ['response'])
export const methodParams = object({ method }, ['method'])
export const eventsQuery = object({ limit: { type: 'integer', minimum: 1, maximum: 100, default: 50 } })
