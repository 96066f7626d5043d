// A happy-dom window installed as the global DOM, so the composer (Tiptap/ProseMirror view) can
// run in Node. Import this module before importing src/composer.js.
import { Window } from 'happy-dom'

export const win = new Window({ url: 'http://localhost/' })
const names = ['window', 'document', 'navigator', 'Node', 'Element', 'HTMLElement', 'Text', 'DOMParser',
  'MutationObserver', 'getComputedStyle', 'requestAnimationFrame', 'cancelAnimationFrame', 'Event',
  'KeyboardEvent', 'ClipboardEvent', 'DragEvent', 'DataTransfer', 'File', 'Blob', 'Range', 'Selection']
for (const k of names) {
  if (k in globalThis && k !== 'navigator') continue
  Object.defineProperty(globalThis, k, { value: k === 'window' ? win : win[k], configurable: true, writable: true })
}
export const closeDom = () => win.happyDOM.close()
