// Stock y-websocket clients: one leaves a room and comes back with the same client id (as a
// provider does after a dropped connection), while the others echo its removal as y-protocols
// clients do. Prints {"seen": true} once a third client sees the returning one's new state.
// Usage: node node_presence_return.mjs WS_BASE ROOM
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [wsBase, room] = process.argv.slice(2)
const open = () => new WebsocketProvider(wsBase, room, new Y.Doc(), { WebSocketPolyfill: WebSocket, disableBc: true })
const fail = (message) => {
  console.error(message)
  process.exit(1)
}
setTimeout(() => fail('timeout'), 20000)

// Resolves once `predicate` holds for `provider`'s view of the room's presence.
const until = (provider, predicate) => new Promise((resolve) => {
  const check = () => {
    if (predicate(provider.awareness.getStates())) {
      provider.awareness.off('change', check)
      resolve()
    }
  }
  provider.awareness.on('change', check)
  check()
})
const synced = (provider) => new Promise((resolve) => provider.once('sync', resolve))

const echoer = open()
const viewer = open()
const leaver = open()
await Promise.all([synced(echoer), synced(viewer), synced(leaver)])
const id = leaver.doc.clientID
leaver.awareness.setLocalStateField('user', { name: 'Cy' })
await until(viewer, (states) => states.get(id)?.user?.name === 'Cy')
await until(echoer, (states) => states.has(id))

leaver.disconnect()
await until(echoer, (states) => !states.has(id)) // the echoer sends the removal back
// The echoer's next change is read after its echo: once the viewer has it, the echo was handled.
echoer.awareness.setLocalStateField('user', { name: 'Bo' })
await until(viewer, (states) => states.get(echoer.doc.clientID)?.user?.name === 'Bo')

leaver.connect()
await synced(leaver)
// Its first change since it left is news to the others: the server's removal kept its clock.
leaver.awareness.setLocalStateField('cursor', 1)
await until(viewer, (states) => states.get(id)?.cursor === 1)
process.stdout.write(JSON.stringify({ seen: true }) + '\n')
for (const provider of [echoer, viewer, leaver]) provider.destroy()
process.exit(0)
