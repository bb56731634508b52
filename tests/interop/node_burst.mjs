// A stock y-websocket client that writes as fast as it can: COUNT separate transactions (one
// update message each), like a paste split into pieces, a script, or an offline session replayed.
// Usage: node node_burst.mjs WS_BASE HTTP_BASE ROOM COUNT
// It stays connected (reconnecting as y-websocket does) until the server's stored text equals
// its own, then prints {text, connects, closeCodes} as JSON on stdout.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [wsBase, httpBase, room, countArg] = process.argv.slice(2)
const count = Number(countArg)
const doc = new Y.Doc()
const text = doc.getText('content')
const provider = new WebsocketProvider(wsBase, room, doc, { WebSocketPolyfill: WebSocket, disableBc: true })
let connects = 0
const closeCodes = []
provider.on('status', ({ status }) => { if (status === 'connected') connects++ })
provider.on('connection-close', (event) => { if (event) closeCodes.push(event.code) })

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
setTimeout(() => {
  console.error(`timeout: ${text.length} chars locally, connects ${connects}, closes ${closeCodes}`)
  process.exit(1)
}, 90000)

const stored = async () => {
  const response = await fetch(`${httpBase}/api/rooms/${room}/snapshot?format=text`)
  return response.ok ? response.text() : ''
}

provider.once('sync', async () => {
  for (let i = 0; i < count; i++) text.insert(text.length, `${i},`)
  while ((await stored()) !== text.toString()) await sleep(200)
  process.stdout.write(JSON.stringify({ text: text.toString(), connects, closeCodes }) + '\n')
  provider.destroy()
  process.exit(0)
})
