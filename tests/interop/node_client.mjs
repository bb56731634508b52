// A stock Yjs client: yjs + y-websocket's WebsocketProvider over the `ws` package.
// Usage: node node_client.mjs WS_BASE ROOM OWN_WORD OTHER_WORD COUNT
// Types COUNT copies of OWN_WORD (use one character, so concurrent inserts cannot split it), waits for COUNT copies of OTHER_WORD, then prints the final
// text once it has been stable for a moment, as JSON on stdout.
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [wsBase, room, ownWord, otherWord, countArg] = process.argv.slice(2)
const count = Number(countArg)
const doc = new Y.Doc()
const text = doc.getText('content')
const provider = new WebsocketProvider(wsBase, room, doc, { WebSocketPolyfill: WebSocket, disableBc: true })
provider.awareness.setLocalStateField('user', { name: 'node-client' })

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const occurrences = (word) => text.toString().split(word).length - 1

const fail = (message) => {
  console.error(message)
  process.exit(1)
}
setTimeout(() => fail(`timeout; text is ${JSON.stringify(text.toString())}`), 30000)

provider.once('sync', async () => {
  for (let i = 0; i < count; i++) {
    const position = Math.floor(Math.random() * (text.length + 1))
    text.insert(position, ownWord)
    await sleep(5)
  }
  while (occurrences(otherWord) < count) await sleep(20)
  let last = ''
  while (last !== text.toString()) {
    last = text.toString()
    await sleep(300)
  }
  process.stdout.write(JSON.stringify({ text: text.toString() }) + '\n')
  provider.destroy()
  process.exit(0)
})
