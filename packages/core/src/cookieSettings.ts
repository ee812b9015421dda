/** The parts of a request that decide whether the device cookie can be Secure. */
export interface RequestOrigin {
  protocol: string
  hostname: string
}

export interface DeviceCookieSettings {
  name: string
  secure: boolean
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])
const isLocalHost = (hostname: string): boolean => LOCAL_HOSTS.has(hostname) || hostname.endsWith('.localhost')

/**
 * Name and Secure flag of the device cookie for one request. With `'auto'` only plain-http
 * localhost development gets a non-Secure cookie; everything else is Secure and `__Host-`
 * prefixed, so the browser rejects a copy set by a subdomain or over http.
 */
export function cookieSettings (request: RequestOrigin, cookieName: string, secure: 'auto' | boolean): DeviceCookieSettings {
  const isSecure = secure === 'auto'
    ? !(request.protocol === 'http' && isLocalHost(request.hostname.toLowerCase()))
    : secure
  return { name: isSecure ? `__Host-${cookieName}` : cookieName, secure: isSecure }
}
