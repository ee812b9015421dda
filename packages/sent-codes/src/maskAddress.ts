/**
 * How an address is shown back (`sentTo`, `GET /mfa`, events): enough for the owner to recognise it,
 * too little to learn it. Email: the first character of the local part and the domain
 * (`a•••@example.com`); phone: only the last two digits (`+•• ••• ••• 42`).
 */
export function maskAddress (address: string, kind: 'email' | 'phone'): string {
  if (kind === 'phone') return `+•• ••• ••• ${address.replace(/\D/g, '').slice(-2)}`
  const at = address.lastIndexOf('@')
  if (at <= 0) return '•••'
  return `${[...address.slice(0, at)][0]}•••${address.slice(at)}`
}
