// The bundle's entry: the composer (createComposer) and the web app's reply box (mountReply).
export * from './composer.js'
export { mountReply } from './reply.js'
