import type {} from '@fastify-mfa/core'

declare module '@fastify-mfa/core' {
  interface MfaEventMap {
    'device.remembered': { deviceId: string, label: string }
    'device.used': { deviceId: string, label: string }
    'device.revoked': { deviceId?: string, label?: string, count?: number, reason: 'replaced' | 'user' | 'all' }
  }
}
