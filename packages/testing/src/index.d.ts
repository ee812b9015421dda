import type { Db } from 'mongodb'

export interface TestMongo { uri: string, kind: string, stop(): Promise<void> }
export function startTestMongo (): Promise<TestMongo>
export function findFerretDB (): string | null
interface Teardown { teardown(fn: () => unknown): void }
interface Subtests<T> { test(name: string, fn: (t: T) => Promise<void>): Promise<unknown> }
export function testDb (t: Teardown): Promise<Db>
export function storeKinds (): Array<'memory' | 'mongodb'>
export function eachStore<T extends Teardown & Subtests<T>> (t: T, fn: (t: T, store: 'memory' | Db, kind: 'memory' | 'mongodb') => Promise<void>): Promise<void>
