import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'
import { until } from '@fastify-mfa/testing'

type Teardown = { teardown(fn: () => unknown): void }

export interface TestSmtp {
  /** The SMTP URL nodemailer is given. */
  url: string
  /** Every mail the server accepted, parsed. */
  mails: ParsedMail[]
  /** Recipients the server refuses (550), as a mail server does for an unknown mailbox. */
  refuse: Set<string>
  /** Mails to `to`; waits (polling, at most ~2 s) until there are at least `count`. */
  mailsTo(to: string, count?: number): Promise<ParsedMail[]>
  /** Mails to `to` that carry a code (not notifications); waits until there are at least `count`. */
  codeMailsTo(to: string, count?: number): Promise<ParsedMail[]>
  /** The code in the newest code mail to `to`, after waiting for the `count`th one. */
  codeFor(to: string, count?: number): Promise<string>
}

/**
 * A real SMTP server (the receiving side, `smtp-server`) on 127.0.0.1, port 0: nodemailer talks
 * SMTP to it, and each message is parsed with mailparser as a mail client would. No TLS, optional auth.
 */
export async function startSmtp (t: Teardown): Promise<TestSmtp> {
  const mails: ParsedMail[] = []
  const refuse = new Set<string>()
  const server = new SMTPServer({
    authOptional: true,
    secure: false,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo (address, _session, callback) {
      if (refuse.has(address.address)) return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }))
      callback()
    },
    onData (stream, _session, callback) {
      simpleParser(stream).then((mail) => { mails.push(mail); callback() }, callback)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  t.teardown(async () => await new Promise<void>((resolve) => server.close(() => resolve())))
  const to = (mail: ParsedMail): string[] => [mail.to ?? []].flat().flatMap((a) => a.value.map((v) => v.address ?? ''))
  const CODE = /Your code is (\d{6})/
  const matching = async (address: string, count: number, codesOnly: boolean): Promise<ParsedMail[]> => {
    const found = () => mails.filter((m) => to(m).includes(address) && (!codesOnly || CODE.test(m.text ?? '')))
    await until(() => found().length >= count)
    return found()
  }
  const codeMailsTo = async (address: string, count = 1) => await matching(address, count, true)
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    refuse,
    mailsTo: async (address, count = 1) => await matching(address, count, false),
    codeMailsTo,
    async codeFor (address, count = 1) {
      const received = await codeMailsTo(address, count)
      const code = CODE.exec(received[received.length - 1]?.text ?? '')?.[1]
      if (!code) throw new Error(`no code mailed to ${address}`)
      return code
    }
  }
}
