import neostandard from 'neostandard'
import globals from 'globals'

// The Fastify org's style (neostandard), with TypeScript. Build output and dependencies are not linted.
export default [
  ...neostandard({
    ts: true,
    ignores: ['**/dist/**', '**/node_modules/**', '**/.tap/**', 'docs/**']
  }),
  // `void reply.header(…)`: Fastify's reply methods return the reply (thenable); the value is not needed.
  { rules: { 'no-void': ['error', { allowAsStatement: true }] } },
  { files: ['examples/host-app/public/**/*.js'], languageOptions: { globals: { ...globals.browser } } }
]
