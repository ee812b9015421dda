import { UAParser } from 'ua-parser-js'

// Parsing is regex-heavy: a bounded input keeps a hostile header from costing much CPU.
const MAX_USER_AGENT = 512

// The labels of recent User-Agents: a sign-in needs one, and most sign-ins come from few browsers.
const CACHE_SIZE = 500
const labels = new Map<string, string>()

/** A human label for a remembered device from its User-Agent: "Firefox on Ubuntu", "Safari on iOS". */
export function deviceLabel (userAgent: string | undefined): string {
  if (!userAgent) return 'Unknown device'
  const key = userAgent.slice(0, MAX_USER_AGENT)
  let label = labels.get(key)
  if (label === undefined) {
    const { browser, os } = UAParser(key)
    label = browser.name && os.name ? `${browser.name} on ${os.name}` : browser.name ?? os.name ?? 'Unknown device'
    if (labels.size >= CACHE_SIZE) labels.delete(labels.keys().next().value!)
    labels.set(key, label)
  }
  return label
}
