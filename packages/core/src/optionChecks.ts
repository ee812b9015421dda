/**
 * What every fastify-mfa plugin's options check needs: `fail` throws a TypeError naming the
 * package (at startup, before anything is registered), and `wholeNumber` tests an integer range.
 */
export function optionChecks (packageName: string) {
  return {
    fail: (message: string): never => { throw new TypeError(`${packageName}: ${message}`) },
    wholeNumber: (value: unknown, min: number, max = Infinity): value is number =>
      Number.isInteger(value) && (value as number) >= min && (value as number) <= max
  }
}
