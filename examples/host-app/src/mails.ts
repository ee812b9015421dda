import { VERIFICATION_TTL } from './users.js'

/** One mail of the app's own (the plugins' mails use their templates). */
export interface AppMail { subject: string, text: string, html: string }

const APP = 'Example Host App'
const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
const page = (paragraphs: string[]): string =>
  `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">${paragraphs.map((p) => `<p>${p}</p>`).join('')}</body></html>`

/** The code that verifies the address of a new account (the code is in the body only, never in the subject or a log). */
export function verificationMail (code: string, origin: string): AppMail {
  const minutes = VERIFICATION_TTL / 60_000
  return {
    subject: `Verify your email for ${APP}`,
    text: `Your verification code is ${code}\n\nEnter it on ${origin} to verify this address. It expires in ${minutes} minutes.\n\n` +
      'If you did not create an account, ignore this mail: nothing happens without the code.\n',
    html: page([
      `Your verification code is <strong style="font-size:1.4em;letter-spacing:.15em">${escape(code)}</strong>`,
      `Enter it on <a href="${escape(origin)}">${escape(origin)}</a> to verify this address. It expires in ${minutes} minutes.`,
      'If you did not create an account, ignore this mail: nothing happens without the code.'
    ])
  }
}

/** To the owner of an address someone tried to sign up with again. */
export function emailTakenMail (email: string, origin: string, at: Date): AppMail {
  const when = at.toUTCString()
  return {
    subject: `Someone tried to create a ${APP} account with your email`,
    text: `Someone tried to create an account on ${origin} with your address (${email}) on ${when}. ` +
      'Your account already uses it, so no new account was made and nothing changed.\n\n' +
      `If it was you, sign in instead: ${origin}/login\nIf it was not, you need not do anything. ` +
      'Using a second factor (Security settings) keeps your account safe even if someone learns your password.\n',
    html: page([
      `Someone tried to create an account on <a href="${escape(origin)}">${escape(origin)}</a> with your address (${escape(email)}) on ${escape(when)}. ` +
        'Your account already uses it, so no new account was made and nothing changed.',
      `If it was you, <a href="${escape(origin)}/login">sign in</a> instead. If it was not, you need not do anything.`,
      'Using a second factor (Security settings) keeps your account safe even if someone learns your password.'
    ])
  }
}
