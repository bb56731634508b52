// One Chromium for the browser scenarios of one pytest worker (tests/browser/conftest.py):
// launched once, its WebSocket endpoint printed as "@@endpoint ws://...", closed when stdin
// closes. Each scenario connects to it (common.mjs) and works in browser contexts of its own,
// so scenarios share nothing but the browser process.
//
//   node browser_server.mjs
import { chromium, CHROMIUM, ARGS } from './chromium.mjs'

const server = await chromium.launchServer({ executablePath: CHROMIUM, args: ARGS })
process.stdout.write(`@@endpoint ${server.wsEndpoint()}\n`)
process.stdin.resume()
process.stdin.on('end', async () => {
  await server.close()
  process.exit(0)
})
