import type { Db } from 'mongodb'

export interface TestMongo { uri: string, kind: string, stop(): Promise<void> }
export function startTestMongo (): Promise<TestMongo>
export function findFerretDB (): string | null
interface Teardown { teardown(fn: () => unknown): void }

interface Subtests { test: (...args: any[]) => any }
export function testDb (t: Teardown): Promise<Db>
export function storeKinds (): Array<'memory' | 'mongodb'>
export function eachStore<T extends Teardown & Subtests> (t: T, fn: (t: T, store: 'memory' | Db, kind: 'memory' | 'mongodb') => Promise<void>): Promise<void>

import type { FastifyInstance, InjectOptions, LightMyRequestResponse, FastifyPluginAsync, FastifyPluginCallback } from 'fastify'
export interface FakeClock { ms: number, now(): number, advance(seconds: number): void }
export function fakeClock (startMs?: number): FakeClock
export function until (done: () => boolean | Promise<boolean>): Promise<void>
type AnyPlugin = FastifyPluginAsync<any> | FastifyPluginCallback<any>
export interface TestAppOptions {
  core: AnyPlugin
  store: unknown
  coreOptions?: Record<string, unknown>
  plugins?: Array<[AnyPlugin, Record<string, unknown>?]>
  clock?: FakeClock
  logger?: unknown
  routes?: (app: FastifyInstance) => Promise<void> | void
}
export function buildTestApp (t: Teardown, options: TestAppOptions): Promise<FastifyInstance>
export interface Agent {
  inject(opts: InjectOptions): Promise<LightMyRequestResponse>
  jar: Map<string, string>
  signIn(state: Record<string, unknown>): Promise<void>
}
export function agent (app: FastifyInstance): Agent
export function freshStore (t: Teardown, kind: 'memory' | 'mongodb'): Promise<'memory' | Db>
export interface HttpAnswer { status: number, body: Record<string, unknown>, headers: Record<string, string | string[] | undefined> }
export interface HttpClient {
  jar: Map<string, string>
  localAddress: string
  post(path: string, body?: object): Promise<HttpAnswer>
  get(path: string): Promise<HttpAnswer>
  login(login: string, password: string): Promise<HttpAnswer>
}
/** A real HTTP client bound to one loopback source address, with its own cookie jar. */
export function httpClient (port: number, localAddress: string): HttpClient
