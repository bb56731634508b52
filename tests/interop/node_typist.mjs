// A stock y-websocket client that keeps typing through server restarts.
// Usage: node node_typist.mjs WS_BASE ROOM TAG TYPE_MS STOP_FILE
// Prints {"ready": true} once first synced, then appends "<TAG.i>" every 20 ms for TYPE_MS,
// connected or not (y-websocket reconnects after 1012 and resends what the server lacks), then
// prints {"typed": n}, waits until STOP_FILE exists (JSON: how many each tag typed) and, while
// connected, the text holds every one of those markers, and prints {text, typed, closeCodes}.
import WebSocket from 'ws'
import { existsSync, readFileSync } from 'node:fs'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [wsBase, room, tag, typeMs, stopFile] = process.argv.slice(2)
const doc = new Y.Doc()
const text = doc.getText('content')
const closeCodes = []
class Recording extends WebSocket {
  constructor (...args) {
    super(...args)
    this.addEventListener('close', (event) => closeCodes.push(event.code))
  }
}
const provider = new WebsocketProvider(wsBase, room, doc, { WebSocketPolyfill: Recording, disableBc: true })
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
setTimeout(() => { console.error(`timeout; text ${text.toString().length} chars`); process.exit(1) }, 90000)

await new Promise((resolve) => provider.once('sync', resolve))
process.stdout.write(JSON.stringify({ ready: true }) + '\n')
let typed = 0
const started = Date.now()
while (Date.now() - started < Number(typeMs)) {
  text.insert(text.length, `<${tag}.${typed}>`)
  typed++
  await sleep(20)
}
process.stdout.write(JSON.stringify({ typed }) + '\n')
while (!existsSync(stopFile)) await sleep(50)
const expected = Object.entries(JSON.parse(readFileSync(stopFile, 'utf8')))
  .flatMap(([other, count]) => Array.from({ length: count }, (_, i) => `<${other}.${i}>`))
const holdsAll = () => { const now = text.toString(); return expected.every((marker) => now.includes(marker)) }
let waited = 0
while (!(provider.wsconnected && provider.synced && holdsAll())) {
  await sleep(50)
  if (++waited % 40 === 0) { // every 2 s: what it still waits for, for a test that times out
    const now = text.toString()
    const missing = expected.filter((marker) => !now.includes(marker))
    const state = { connected: provider.wsconnected, synced: provider.synced, chars: now.length, missing: missing.length, first: missing.slice(0, 5), closeCodes }
    console.error(JSON.stringify(state))
  }
}
process.stdout.write(JSON.stringify({ text: text.toString(), typed, closeCodes }) + '\n')
provider.destroy()
process.exit(0)
