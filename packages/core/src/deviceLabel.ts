import { UAParser } from 'ua-parser-js'

// Parsing is regex-heavy: a bounded input keeps a hostile header from costing much CPU.
const MAX_USER_AGENT = 512

/** A human label for a remembered device from its User-Agent: "Firefox on Ubuntu", "Safari on iOS". */
export function deviceLabel (userAgent: string | undefined): string {
  if (!userAgent) return 'Unknown device'
  const { browser, os } = UAParser(userAgent.slice(0, MAX_USER_AGENT))
  if (browser.name && os.name) return `${browser.name} on ${os.name}`
  return browser.name ?? os.name ?? 'Unknown device'
}
