// Stock Yjs clients (yjs + y-websocket) around a character beyond U+FFFF.
// Usage: node node_surrogates.mjs WS_BASE ROOM insert|delete|format|join [written]
// insert, delete, format: client A types "a😀b" (unless `written`: the room holds it), then client B inserts "X" at UTF-16 index 2,
//   deletes the unit at index 2, or makes it bold: each splits the emoji's halves, which Yjs
//   turns into U+FFFD each. Once the two agree it prints {a, b} (each client's text and delta)
//   as a JSON line, stays connected until stdin closes, then prints them again and exits.
// join: a client joins, prints its {text, delta} once synced, and exits.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [wsBase, room, mode, written] = process.argv.slice(2)
const edits = {
  insert: (text) => text.insert(2, 'X'),
  delete: (text) => text.delete(2, 1),
  format: (text) => text.format(2, 1, { bold: true })
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const fail = (message) => {
  console.error(message)
  process.exit(1)
}
setTimeout(() => fail('timeout'), 20000)

const connect = () => {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(wsBase, room, doc, { WebSocketPolyfill: WebSocket, disableBc: true })
  const synced = new Promise((resolve) => provider.once('sync', resolve))
  return { doc, text: doc.getText('content'), provider, synced }
}
const until = async (condition) => {
  while (!condition()) await sleep(10)
}
const shown = (c) => ({ text: c.text.toString(), delta: c.text.toDelta() })
const texts = (a, b) => JSON.stringify({ a: shown(a), b: shown(b) })
// Once both clients have the same state vector and text, unchanged for 300 ms (whatever the
// server sends about the edit has arrived).
const settled = async (a, b) => {
  const seen = () => JSON.stringify([a, b].map((c) => [Array.from(Y.encodeStateVector(c.doc)), c.text.toString()]))
  const agree = (state) => JSON.stringify(JSON.parse(state)[0]) === JSON.stringify(JSON.parse(state)[1])
  let last = ''
  while (last !== seen() || !agree(last)) {
    last = seen()
    await sleep(300)
  }
}

if (mode === 'join') {
  const c = connect()
  await c.synced
  process.stdout.write(JSON.stringify(shown(c)) + '\n')
  process.exit(0)
}

const a = connect()
const b = connect()
await Promise.all([a.synced, b.synced])
if (written !== 'written') a.text.insert(0, 'a😀b')
await until(() => b.text.toString() === 'a😀b')
edits[mode](b.text)
await until(() => JSON.stringify(a.text.toDelta()) !== JSON.stringify([{ insert: 'a😀b' }]))
await settled(a, b)
process.stdout.write(texts(a, b) + '\n')
process.stdin.resume()
process.stdin.on('end', async () => {
  await settled(a, b)
  process.stdout.write(texts(a, b) + '\n')
  a.provider.destroy()
  b.provider.destroy()
  process.exit(0)
})
