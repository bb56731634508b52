// Yjs 14 (`@y/y`) with its own provider (`@y/websocket` 4) beside a Yjs 13 client (yjs +
// y-websocket 3) in one room. Usage: node node_yjs14.mjs WS_BASE ROOM ECHO(0|1)
//
// Besides converging, it follows which of its own changes the server has confirmed the way
// `@y/websocket` 4.0.0-rc.2 computes its sync-status (`localUpdatesSynced`): the content ids
// of every local update stay unconfirmed until a sync message from the server covers them
// (Y.createContentIdsFromUpdate / Y.excludeContentIds, public functions of @y/y). The newest
// release on npm (4.0.0-3) has no sync-status yet, so the same rule is kept here, by reading
// what the socket receives. Prints one JSON report on stdout.
import WebSocket from 'ws'
import * as Y from '@y/y'
import { WebsocketProvider } from '@y/websocket'
import * as Y13 from 'yjs'
import { WebsocketProvider as Provider13 } from 'y-websocket'
import * as decoding from 'lib0/decoding'

const [wsBase, room, echoArg] = process.argv.slice(2)
const echo = echoArg === '1'

const fail = (message) => {
  console.error(message)
  process.exit(1)
}
setTimeout(() => fail('timeout: ' + JSON.stringify(report())), 30000)

/** Own changes not yet seen coming back from the server. */
let unconfirmed = []
const received = []

/** A WebSocket that shows each sync message it receives to `onSync` first. */
class Tap extends WebSocket {
  set onmessage (handler) {
    super.onmessage = (event) => {
      const data = new Uint8Array(event.data)
      const decoder = decoding.createDecoder(data)
      if (decoding.readVarUint(decoder) === 0) {
        const type = decoding.readVarUint(decoder)
        if (type === 1 || type === 2) onSync(decoding.readVarUint8Array(decoder))
      }
      handler(event)
    }
  }

  get onmessage () { return super.onmessage }
}

function onSync (update) {
  const ids = Y.createContentIdsFromUpdate(update)
  received.push(update.length)
  unconfirmed = unconfirmed
    .map((pending) => Y.excludeContentIds(pending, ids))
    .filter((pending) => !pending.inserts.isEmpty() || !pending.deletes.isEmpty())
}

const doc = new Y.Doc()
const text = doc.get('content')
const provider = new WebsocketProvider(wsBase, room, doc, {
  WebSocketPolyfill: Tap, disableBc: true, params: echo ? { echo: '1' } : {}
})
doc.on('update', (update, origin) => {
  if (origin !== provider) unconfirmed.push(Y.createContentIdsFromUpdate(update))
})
provider.awareness.setLocalStateField('user', { name: 'yjs-14' })

const doc13 = new Y13.Doc()
const text13 = doc13.getText('content')
const provider13 = new Provider13(wsBase, room, doc13, { WebSocketPolyfill: WebSocket, disableBc: true })

const report = () => ({
  text14: text.toString(),
  text13: text13.toString(),
  unconfirmed: unconfirmed.length
})

const until = (condition) => new Promise((resolve) => {
  const check = () => condition() ? resolve() : setTimeout(check, 10)
  check()
})
const synced = (p) => p.synced ? Promise.resolve() : new Promise((resolve) => p.once('sync', resolve))

await Promise.all([synced(provider), synced(provider13)])
const steps = {}

// Yjs 14 writes; Yjs 13 reads it (through the server, which stored it).
text.insert(0, 'fourteen says hi. ')
text.format(0, 8, { bold: true })
// The insertion and the formatting are two updates: wait for the second as well.
await until(() => text13.toString().includes('fourteen says hi.') && text13.toDelta()[0]?.attributes)
steps.formatted13 = JSON.stringify(text13.toDelta()[0])
// Yjs 13 writes; Yjs 14 reads it. What the server sent back of Yjs 14's own changes (only
// with echo) came before it, in the order it was committed.
text13.insert(text13.length, 'thirteen answers.')
await until(() => text.toString().includes('thirteen answers.'))
steps.unconfirmedAfterReply = unconfirmed.length
if (echo) await until(() => unconfirmed.length === 0)

// A deletion is confirmed too.
text.delete(0, 9)
await until(() => text13.toString().startsWith('says hi.'))
if (echo) await until(() => unconfirmed.length === 0)

// Its presence reaches the Yjs 13 client.
await until(() => [...provider13.awareness.getStates().values()].some((s) => s.user?.name === 'yjs-14'))
steps.presence = true
// Offline edits on both sides meet when Yjs 14 reconnects (SyncStep1/2 with its state vector).
provider.disconnect()
text13.insert(0, '[13 while 14 was away] ')
text.insert(text.length, ' [14 offline]')
steps.unconfirmedOffline = unconfirmed.length
provider.connect()
await until(() => text.toString() === text13.toString() && text.toString().includes('[14 offline]') && text.toString().includes('[13 while'))
if (echo) await until(() => unconfirmed.length === 0)

process.stdout.write(JSON.stringify({ ...report(), steps, receivedSyncMessages: received.length }) + '\n')
provider.destroy()
provider13.destroy()
process.exit(0)
