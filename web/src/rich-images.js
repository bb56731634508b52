// Images in rich text (issue 25): paste, drop or pick a file and it is uploaded to the server
// (POST /api/rooms/ROOM/images); an `image` node whose `src` is the path the server answered
// takes its place. While it uploads, a placeholder stands where it goes; a refusal (too large,
// not an image) is said in words, never dropped. Images by URL (a pasted <img src="https://…">)
// stay links to the outside: nothing is fetched by the server.
//
// Showing an uploaded image: its GET needs the same authorisation as the document (a bearer
// token for token and share-link visitors, the session cookie for people signed in). An <img>
// cannot send a bearer token, so the node view fetches the bytes with the page's headers and
// shows them from a blob: URL. The node keeps the server path (what exports and copies hold);
// the image's id in it is looked up in the page's own room, so a copy (same ids) shows its own.
import Image from '@tiptap/extension-image'
import { Plugin, PluginKey } from '@tiptap/pm/state'
import { Decoration, DecorationSet } from '@tiptap/pm/view'
import { focusEditor } from './editor-focus.js'

const UPLOADS = new PluginKey('imageUploads')
const SERVED = /^\/api\/rooms\/[^/?#]+\/images\/([A-Za-z0-9_-]{1,64})$/
const WEB = /^https?:\/\//i

/** A problem answer's `detail`, or a sentence saying what the server answered. */
async function refusal (res) {
  try {
    const body = await res.json()
    if (body && typeof body.detail === 'string' && body.detail) return body.detail
  } catch {}
  if (res.status === 413) return 'the image is too large'
  if (res.status === 415) return 'that file is not an image this server takes (PNG, JPEG, GIF or WebP)'
  return `the server answered ${res.status}`
}

/** Where the page shows what happens to uploads: a polite status, an alert for refusals. */
function statusLine () {
  const box = document.createElement('div')
  box.className = 'image-status'
  box.hidden = true
  const text = document.createElement('span')
  text.className = 'image-status-text'
  text.setAttribute('role', 'status')
  const close = document.createElement('button')
  close.type = 'button'
  close.className = 'image-status-close'
  close.setAttribute('aria-label', 'Dismiss')
  close.textContent = '×'
  close.addEventListener('click', () => { box.hidden = true })
  box.append(text, close)
  return {
    box,
    say (message, { refused = false } = {}) {
      box.classList.toggle('refused', refused)
      text.setAttribute('role', refused ? 'alert' : 'status')
      text.textContent = message
      box.hidden = false
    },
    clear () { box.hidden = true }
  }
}

/** The blob: URL of each image id this page has fetched (one fetch per id). */
function imageCache ({ room, authHeaders }) {
  const found = new Map()
  return (id) => {
    if (!found.has(id)) {
      found.set(id, (async () => {
        const res = await fetch(`/api/rooms/${encodeURIComponent(room)}/images/${encodeURIComponent(id)}`, {
          headers: authHeaders(), credentials: 'same-origin'
        })
        if (!res.ok) { found.delete(id); throw new Error(await refusal(res)) }
        return URL.createObjectURL(await res.blob())
      })())
    }
    return found.get(id)
  }
}

/** The node view: an <img> showing the node's image, whatever way in the page came. */
function imageView (load) {
  return ({ node }) => {
    const img = document.createElement('img')
    img.className = 'rich-image'
    img.draggable = false
    let shown = null
    const show = (current) => {
      img.alt = current.attrs.alt || ''
      if (current.attrs.title) img.title = current.attrs.title
      const src = current.attrs.src || ''
      if (src === shown) return
      shown = src
      const served = SERVED.exec(src)
      if (served) {
        img.dataset.src = src
        load(served[1]).then((url) => { if (shown === src) img.src = url }, () => { img.classList.add('missing') })
      } else if (WEB.test(src)) {
        img.src = src
      } else {
        img.removeAttribute('src')
        img.classList.add('missing')
      }
    }
    show(node)
    return {
      dom: img,
      update (next) {
        if (next.type !== node.type) return false
        show(next)
        return true
      }
    }
  }
}

function placeholder (name) {
  const el = document.createElement('span')
  el.className = 'image-uploading'
  el.setAttribute('contenteditable', 'false')
  el.textContent = `Uploading ${name || 'image'}…`
  return el
}

/** Decorations of the uploads under way: a placeholder where each image will go. */
function uploadsPlugin (handleFiles) {
  return new Plugin({
    key: UPLOADS,
    state: {
      init: () => DecorationSet.empty,
      apply (tr, set) {
        let next = set.map(tr.mapping, tr.doc)
        const action = tr.getMeta(UPLOADS)
        if (action && action.add) {
          const widget = Decoration.widget(action.add.pos, placeholder(action.add.name), { id: action.add.id })
          next = next.add(tr.doc, [widget])
        } else if (action && action.remove) {
          next = next.remove(next.find(undefined, undefined, (spec) => spec.id === action.remove))
        }
        return next
      }
    },
    props: {
      decorations (state) { return UPLOADS.getState(state) },
      handlePaste (view, event) {
        const files = filesOf(event.clipboardData)
        // Pasted HTML with images by URL (a web page): kept as it is, nothing uploaded.
        const html = (event.clipboardData && event.clipboardData.getData('text/html')) || ''
        if (files.length && !/<img[^>]+src=["']?https?:/i.test(html)) {
          handleFiles(files, view.state.selection.from)
          return true
        }
        // Images inside the HTML as data: URLs (the schema keeps none): uploaded, the rest of
        // the HTML pasted as usual.
        const inline = files.length ? [] : dataImages(html)
        if (inline.length) handleFiles(inline, view.state.selection.from)
        return false
      },
      handleDrop (view, event) {
        const files = filesOf(event.dataTransfer)
        if (!files.length) return false
        const at = view.posAtCoords({ left: event.clientX, top: event.clientY })
        handleFiles(files, at ? at.pos : view.state.selection.from)
        event.preventDefault()
        return true
      }
    }
  })
}

/** The images of `html` given as data: URLs, as Files. */
function dataImages (html) {
  if (!html.includes('data:image/')) return []
  const page = new DOMParser().parseFromString(html, 'text/html')
  const files = []
  for (const img of page.querySelectorAll('img[src^="data:image/"]')) {
    const found = /^data:(image\/[a-z0-9.+-]+);base64,(.*)$/i.exec(img.getAttribute('src').replace(/\s/g, ''))
    if (!found) continue
    try {
      const bytes = Uint8Array.from(atob(found[2]), (c) => c.charCodeAt(0))
      files.push(new File([bytes], img.getAttribute('alt') || 'pasted image', { type: found[1] }))
    } catch { /* not base64: nothing to upload */ }
  }
  return files
}

function filesOf (transfer) {
  return transfer && transfer.files ? Array.from(transfer.files) : []
}

/** Put `node` at `at`: in place of an empty paragraph there, else next to the text. */
function place (tr, at, node) {
  const $at = tr.doc.resolve(at)
  if ($at.depth > 0 && $at.parent.isTextblock && $at.parent.content.size === 0) {
    tr.replaceWith($at.before(), $at.after(), node)
  } else {
    tr.replaceRangeWith(at, at, node)
  }
}

function where (state, id) {
  const found = UPLOADS.getState(state).find(undefined, undefined, (spec) => spec.id === id)
  return found.length ? found[0].from : null
}

/**
 * The image node, with uploads (when `canUpload`): `room` and `authHeaders()` (the page's token
 * and CSRF header) say where and as whom; `status` is the line that tells how uploads go.
 */
export function RichImage ({ room, authHeaders, status, canUpload = true }) {
  const load = imageCache({ room, authHeaders })
  let next = 0
  return Image.extend({
    addNodeView () { return imageView(load) },
    addCommands () {
      return {
        ...this.parent?.(),
        uploadImages: (files, pos) => ({ editor }) => { upload(editor, files, pos); return true },
        pickImage: () => ({ editor }) => {
          const input = document.createElement('input')
          input.type = 'file'
          input.accept = 'image/png,image/jpeg,image/gif,image/webp'
          input.multiple = true
          input.addEventListener('change', () => upload(editor, Array.from(input.files || []), editor.state.selection.from))
          input.click()
          return true
        }
      }
    },
    addProseMirrorPlugins () {
      const editor = this.editor
      const parent = this.parent?.() || []
      return canUpload ? [...parent, uploadsPlugin((files, pos) => upload(editor, files, pos))] : parent
    }
  })

  function upload (editor, files, pos) {
    for (const file of files) one(editor, file, pos)
  }

  async function one (editor, file, pos) {
    const id = `upload-${++next}`
    editor.view.dispatch(editor.state.tr.setMeta(UPLOADS, { add: { id, pos, name: file.name } }))
    status.say(`Uploading ${file.name || 'image'}…`)
    let message = null
    let url = null
    try {
      const res = await fetch(`/api/rooms/${encodeURIComponent(room)}/images`, {
        method: 'POST',
        body: file,
        headers: { ...authHeaders(), 'content-type': 'application/octet-stream', accept: 'application/json' },
        credentials: 'same-origin'
      })
      if (res.ok) url = (await res.json()).url
      else message = await refusal(res)
    } catch {
      message = 'the server could not be reached; try again'
    }
    const at = where(editor.state, id)
    const tr = editor.state.tr.setMeta(UPLOADS, { remove: id })
    if (url && at !== null) place(tr, at, editor.schema.nodes.image.create({ src: url, alt: '' }))
    editor.view.dispatch(tr)
    if (url) status.say(`${file.name || 'Image'} uploaded. Select it to describe it (alt text).`)
    else status.say(`${file.name || 'The file'} was not added: ${message}`, { refused: true })
  }
}

/** The alt-text form: shown while an image is selected, to describe it for those who cannot see it. */
export function altTextForm (editor) {
  const form = document.createElement('form')
  form.className = 'alt-form'
  form.hidden = true
  form.innerHTML = '<label>Image description (alt text) <input type="text" name="alt" autocomplete="off" maxlength="500" placeholder="What the image shows"></label>' +
    '<button type="submit" class="primary-button">Save description</button>'
  const input = form.querySelector('input')
  // The position of the image the form describes, kept through every change (the selection
  // may move off it while the description is typed: a remote edit, an upload finishing).
  let target = null
  // Whether the description in the box was typed and not saved yet: it is kept while the focus
  // moves within the form (pressing Save), and replaced only when another image is chosen.
  let typed = false
  input.addEventListener('input', () => { typed = true })
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    typed = false
    const alt = input.value.trim() || null
    const at = target
    editor.chain().focus().command(({ tr }) => {
      const node = at === null ? null : tr.doc.nodeAt(at)
      if (!node || node.type.name !== 'image') return false
      tr.setNodeMarkup(at, undefined, { ...node.attrs, alt })
      return true
    }).run()
  })
  input.addEventListener('keydown', (event) => { if (event.key === 'Escape') focusEditor(editor) })
  const refresh = () => {
    const sel = editor.state.selection
    const node = sel.node && sel.node.type.name === 'image' ? sel.node : null
    if (!node) {
      if (!form.contains(document.activeElement)) { form.hidden = true; target = null }
      return
    }
    form.hidden = false
    if (target !== sel.from) typed = false
    if (!typed) input.value = node.attrs.alt || ''
    target = sel.from
  }
  editor.on('selectionUpdate', refresh)
  editor.on('transaction', ({ transaction }) => {
    if (target !== null) target = transaction.mapping.map(target)
    refresh()
  })
  form.addEventListener('focusout', () => setTimeout(refresh))
  return form
}

/** The image parts of the rich editor for one page. */
export function imageParts ({ room, authHeaders, canUpload }) {
  const status = statusLine()
  return { status, extension: RichImage({ room, authHeaders, status, canUpload }) }
}
