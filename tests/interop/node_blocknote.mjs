// BlockNote (npm @blocknote/core, through @blocknote/server-util's ServerBlockNoteEditor) under
// Node, for tests/content/test_blocknote.py: turns blocks (BlockNote's JSON) into the Yjs
// document a BlockNote editor keeps, edits such a document as the editor would, and reads one
// back as blocks. A JSON list of commands on stdin, the list of their answers on stdout (one
// process for several: loading BlockNote takes seconds); updates are base64url.
//
//   {"make": {"blocks": [...], "root": "document-store"}}            -> {"update", "blocks"}
//     (the blocks as BlockNote reads them back: with their ids and every default prop)
//   {"edit": {"update", "blocks": [...], "root"}}                     -> {"update"} (the change)
//   {"blocks": {"update", "root"}}                                    -> {"blocks": [...]}
//   {"parse": {"markdown"} or {"html"}}                               -> {"blocks": [...]}
//     (what BlockNote makes of Markdown or HTML pasted or imported into it)
import { ServerBlockNoteEditor } from '@blocknote/server-util'
import * as Y from 'yjs'

const b64 = (bytes) => Buffer.from(bytes).toString('base64url')
const bytes = (text) => new Uint8Array(Buffer.from(text, 'base64url'))

function load (update) {
  const doc = new Y.Doc()
  if (update) Y.applyUpdate(doc, bytes(update))
  return doc
}

const editor = ServerBlockNoteEditor.create()

const commands = {
  make ({ blocks, root = 'document-store' }) {
    const doc = editor.blocksToYDoc(blocks, root)
    return { update: b64(Y.encodeStateAsUpdate(doc)), blocks: editor.yDocToBlocks(doc, root) }
  },
  edit ({ update, blocks, root = 'document-store' }) {
    // BlockNote turns the blocks into a ProseMirror document and y-prosemirror edits the
    // fragment towards it (updateYFragment), as a live editor's sync plugin does.
    const doc = load(update)
    const before = Y.encodeStateVector(doc)
    editor.blocksToYXmlFragment(blocks, doc.getXmlFragment(root))
    return { update: b64(Y.encodeStateAsUpdate(doc, before)) }
  },
  blocks ({ update, root = 'document-store' }) {
    return { blocks: editor.yDocToBlocks(load(update), root) }
  },
  async parse ({ markdown, html }) {
    const blocks = markdown !== undefined
      ? await editor.tryParseMarkdownToBlocks(markdown)
      : await editor.tryParseHTMLToBlocks(html)
    return { blocks }
  }
}

let input = ''
for await (const chunk of process.stdin) input += chunk
const answers = []
for (const command of JSON.parse(input)) {
  const [[name, args]] = Object.entries(command)
  answers.push(await commands[name](args))
}
process.stdout.write(JSON.stringify(answers))
