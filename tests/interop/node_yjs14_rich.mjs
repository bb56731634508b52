// Rich text as Yjs 14 (`@y/y`) keeps it: element nodes in the `default` root holding their text
// directly (no Y.XmlText). Usage: node node_yjs14_rich.mjs; prints the document's update, hex.
import * as Y from '@y/y'

const doc = new Y.Doc()
const root = doc.get('default')
const heading = new Y.Type('heading')
const paragraph = new Y.Type('paragraph')
root.insert(0, [heading, paragraph])
heading.setAttr('level', 2)
heading.insert(0, 'Title')
paragraph.insert(0, 'hello bold')
paragraph.format(6, 4, { bold: {} })
process.stdout.write(Buffer.from(Y.encodeStateAsUpdate(doc)).toString('hex') + '\n')
