// Yjs under Node, for the comment-anchor tests (tests/comments/test_rich_threads.py): makes a
// rich-text document as y-prosemirror keeps it, relative positions as an editor makes them,
// edits by another client, and resolves anchors the server made. One JSON command on stdin,
// one JSON answer on stdout. Offsets are UTF-16 units (JavaScript's), nodes are the XmlText
// nodes of `content` in document order.
import * as Y from 'yjs'

const b64 = (bytes) => Buffer.from(bytes).toString('base64url')
const bytes = (text) => new Uint8Array(Buffer.from(text, 'base64url'))

function load (update) {
  const doc = new Y.Doc()
  if (update) Y.applyUpdate(doc, bytes(update))
  return doc
}

function nodes (doc) {
  const found = []
  const walk = (type) => {
    for (const child of type.toArray()) {
      if (child instanceof Y.XmlText) found.push(child)
      else if (child instanceof Y.XmlElement) walk(child)
    }
  }
  walk(doc.getXmlFragment('content'))
  return found
}

const plain = (xmlText) => xmlText.toDelta().map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('')

const commands = {
  make ({ paragraphs, list = [], foreign = false }) {
    const doc = new Y.Doc()
    const fragment = doc.getXmlFragment('content')
    doc.transact(() => {
      for (const words of paragraphs) {
        const paragraph = new Y.XmlElement('paragraph')
        paragraph.insert(0, [new Y.XmlText(words)])
        fragment.push([paragraph])
      }
      if (list.length) {
        const bullets = new Y.XmlElement('bulletList')
        fragment.push([bullets])
        for (const words of list) {
          const item = new Y.XmlElement('listItem')
          const paragraph = new Y.XmlElement('paragraph')
          paragraph.insert(0, [new Y.XmlText(words)])
          item.insert(0, [paragraph])
          bullets.push([item])
        }
      }
      if (foreign) doc.getText('notes').insert(0, 'kept elsewhere')
    })
    return { update: b64(Y.encodeStateAsUpdate(doc)) }
  },
  anchor ({ update, from, to }) {
    const all = nodes(load(update))
    const start = Y.createRelativePositionFromTypeIndex(all[from[0]], from[1], 0)
    const end = Y.createRelativePositionFromTypeIndex(all[to[0]], to[1], -1)
    return { start: b64(Y.encodeRelativePosition(start)), end: b64(Y.encodeRelativePosition(end)) }
  },
  foreign ({ update }) {
    const notes = load(update).getText('notes')
    const start = Y.createRelativePositionFromTypeIndex(notes, 0, 0)
    const end = Y.createRelativePositionFromTypeIndex(notes, 4, -1)
    return { start: b64(Y.encodeRelativePosition(start)), end: b64(Y.encodeRelativePosition(end)) }
  },
  point ({ update, node, at, assoc }) {
    // An insertion's point as an editor makes it (tests/suggestions): on the character before
    // (assoc -1), or at the start of a node on its first character (assoc 0).
    const text = nodes(load(update))[node]
    return { position: b64(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(text, at, assoc))) }
  },
  blockPoint ({ update, block }) {
    // A point in the `block`-th top-level block as an editor makes it when that block holds
    // no text node (an empty paragraph as y-prosemirror leaves it): the element's own id.
    const element = load(update).getXmlFragment('content').get(block)
    return { position: b64(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(element, 0, 0))) }
  },
  where ({ update, position }) {
    // Where Yjs puts a point in the rich text: [node, index], or null.
    const doc = load(update)
    const absolute = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(bytes(position)), doc)
    return { at: absolute && [nodes(doc).indexOf(absolute.type), absolute.index] }
  },
  plainPoint ({ update, at, assoc }) {
    // A point in a plain text (the root Y.Text 'content') as CodeMirror's y-codemirror makes it.
    const text = load(update).getText('content')
    return { position: b64(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(text, at, assoc))) }
  },
  plainWhere ({ update, position }) {
    const doc = load(update)
    doc.getText('content')
    const absolute = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(bytes(position)), doc)
    return { at: absolute && absolute.index }
  },
  typeEnd ({ update, node }) {
    const text = nodes(load(update))[node]
    return { position: b64(Y.encodeRelativePosition(Y.createRelativePositionFromTypeIndex(text, text.length, 0))) }
  },
  edit ({ update, edits }) {
    const doc = load(update)
    doc.clientID = 424242
    const all = nodes(doc)
    doc.transact(() => {
      for (const edit of edits) {
        if (edit.removeBlock !== undefined) doc.getXmlFragment('content').delete(edit.removeBlock, 1)
        else if (edit.insert !== undefined) all[edit.node].insert(edit.at, edit.insert)
        else all[edit.node].delete(edit.at, edit.delete)
      }
    })
    return { update: b64(Y.encodeStateAsUpdate(doc)) }
  },
  deleteAndUndo ({ update, node, at, length }) {
    // A client deletes a passage and undoes it (Yjs puts the text back as new characters).
    const doc = load(update)
    doc.clientID = 434343
    const text = nodes(doc)[node]
    const undo = new Y.UndoManager(text, { captureTimeout: 0 })
    text.delete(at, length)
    const deleted = b64(Y.encodeStateAsUpdate(doc))
    undo.undo()
    return { deleted, undone: b64(Y.encodeStateAsUpdate(doc)) }
  },
  resolve ({ update, start, end }) {
    const doc = load(update)
    const all = nodes(doc)
    const at = (anchor) => {
      const absolute = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(bytes(anchor)), doc)
      return absolute && [all.indexOf(absolute.type), absolute.index]
    }
    const [first, last] = [at(start), at(end)]
    if (!first || !last || first[0] < 0 || last[0] < 0) return { text: null }
    const strings = all.map(plain)
    let text = ''
    for (let n = first[0]; n <= last[0]; n++) {
      const from = n === first[0] ? first[1] : 0
      const to = n === last[0] ? last[1] : strings[n].length
      text += (n > first[0] ? '\n' : '') + strings[n].slice(from, to)
    }
    return { text }
  }
}

let input = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => { input += chunk })
process.stdin.on('end', () => {
  const command = JSON.parse(input)
  process.stdout.write(JSON.stringify(commands[command.op](command)))
})
