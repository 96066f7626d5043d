// Mentions in the reply (Zammad's `@@`; here `@` is enough): typing `@` and part of a name or
// e-mail address opens a list of the agents who may see the ticket (the page loads them:
// agents with access to the ticket's group); ArrowUp/ArrowDown choose, Enter or Tab (or a
// click) insert Zammad's mention link and a space in place of `@…`, Escape closes the list
// until the next `@`. The list is src/picker.js's. When the article is stored, the server reads
// the link's `data-mention-user-id`: the agent follows the ticket and is notified.
//
// mentionPicker(el, { load, insert }) -> { onTrigger, onTriggerKey, destroy }
//   el       where the list is shown (appended as the composer's last child)
//   load(query) -> Promise<[{id, name, email}]>   the agents matching `query`
//   insert(content) -> bool   createComposer's insertTrigger (takes mentionContent's JSON)
//   onTrigger / onTriggerKey take createComposer's reports of kind 'mention'.
//
// mentionHtml(user) -> string     the link as Zammad writes it:
//   <a data-mention-user-id="ID" rel="nofollow noreferrer noopener" href="/users/ID" target="_blank">Name</a>
// mentionContent(user) -> array   the same link (a `link` mark with its `data-mention-user-id`,
//                                 src/extensions.js) and a space, as Tiptap JSON content

import { triggerPicker } from './picker.js'

const REL = 'nofollow noreferrer noopener'

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) =>
  ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])

/** The user id as the link carries it (digits), or null. */
const idOf = (user) => {
  const id = String(user && user.id != null ? user.id : '')
  return /^[1-9][0-9]{0,17}$/.test(id) ? id : null
}

const nameOf = (user) => String((user && (user.name || user.email)) || '')

/** Zammad's mention link for `user` ({id, name}). */
export function mentionHtml (user) {
  const id = idOf(user)
  if (id === null) return ''
  return `<a data-mention-user-id="${id}" rel="${REL}" href="/users/${id}" target="_blank">${escapeHtml(nameOf(user))}</a>`
}

/** The mention link for `user` and a space after it, as Tiptap JSON content (null: no id). */
export function mentionContent (user) {
  const id = idOf(user)
  if (id === null) return null
  const attrs = { href: `/users/${id}`, target: '_blank', rel: REL, 'data-mention-user-id': id }
  return [
    { type: 'text', text: nameOf(user) || id, marks: [{ type: 'link', attrs }] },
    { type: 'text', text: ' ' }
  ]
}

export function mentionPicker (el, { load, insert }) {
  return triggerPicker(el, {
    className: 'mention-picker',
    label: 'Agents to mention',
    empty: 'No agent matches.',
    load,
    render (user, li) {
      li.dataset.mentionUserId = String(user.id)
      const name = document.createElement('strong')
      name.textContent = nameOf(user)
      li.appendChild(name)
      if (user.email && user.email !== name.textContent) {
        const email = document.createElement('span')
        email.className = 'email'
        email.textContent = ` <${user.email}>`
        li.appendChild(email)
      }
    },
    choose: (user) => {
      const content = mentionContent(user)
      return content !== null && insert(content)
    }
  })
}
