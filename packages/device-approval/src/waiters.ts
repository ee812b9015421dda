import { EventEmitter } from 'node:events'

/**
 * Waiting for a decision: a decision made on this instance wakes its waiters at once (in-process
 * events); one made on another instance is seen when the waiter next reads the store, every
 * `pollMs`. The wait is real time, not the plugin's clock (which tests move by hand).
 */
export function createWaiters (pollMs: number) {
  const wakeUps = new EventEmitter()
  wakeUps.setMaxListeners(0)
  let closed = false

  /** Calls `settled()` until it holds ('decided') or `waitMs` passed, the signal aborted or the app closes ('pending'). */
  async function wait (requestId: string, waitMs: number, settled: () => Promise<boolean>, signal?: AbortSignal): Promise<'pending' | 'decided'> {
    const deadline = Date.now() + waitMs
    for (;;) {
      if (await settled()) return 'decided'
      const left = deadline - Date.now()
      if (left <= 0 || closed || signal?.aborted) return 'pending'
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer)
          wakeUps.off(requestId, done)
          wakeUps.off('close', done)
          signal?.removeEventListener('abort', done)
          resolve()
        }
        const timer = setTimeout(done, Math.min(pollMs, left))
        wakeUps.on(requestId, done)
        wakeUps.on('close', done)
        signal?.addEventListener('abort', done)
      })
    }
  }

  return {
    wait,
    /** A decision on `requestId` was made here. */
    wake (requestId: string): void { wakeUps.emit(requestId) },
    /** The app closes: every waiter answers 'pending' now. */
    close (): void {
      closed = true
      wakeUps.emit('close')
    }
  }
}

export type Waiters = ReturnType<typeof createWaiters>
