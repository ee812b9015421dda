import { randomInt } from 'node:crypto'

/**
 * The number matched on both screens: two digits from the CSPRNG. An approver who does not see the
 * signing-in screen guesses it with 1 chance in 90, and a wrong guess ends the request.
 */
export function approvalNumber (): number {
  return randomInt(10, 100)
}
