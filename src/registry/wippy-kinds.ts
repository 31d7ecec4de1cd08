/**
 * Entry kinds Wippy defines, whether wisp runs them or not. An unknown kind among them is an entry for a part
 * of Wippy that wisp leaves out (`function.wasm`, `http.service`), not a typo: no "did you mean" for it.
 */
export const WIPPY_KINDS: ReadonlySet<string> = new Set([
  'cloudstorage.s3', 'config.aws', 'contract.binding', 'contract.definition', 'db.cdc.postgres', 'db.sql.mysql',
  'db.sql.postgres', 'db.sql.sqlite', 'env.storage.file', 'env.storage.memory', 'env.storage.os', 'env.storage.router',
  'env.storage.static', 'env.variable', 'exec.docker', 'exec.native', 'fs.directory', 'fs.embed', 'function.lua',
  'function.lua.bc', 'function.wasm', 'function.wat', 'http.endpoint', 'http.router', 'http.service', 'http.static',
  'library.lua', 'library.lua.bc', 'module.lua', 'network.i2p', 'network.socks5', 'network.tailscale',
  'ns.definition', 'ns.dependency', 'ns.requirement', 'process.host', 'process.lua', 'process.lua.bc', 'process.wasm',
  'queue.consumer', 'queue.driver.amqp', 'queue.driver.memory', 'queue.driver.sqs', 'queue.queue', 'security.policy',
  'security.policy.expr', 'security.token_store', 'store.kv.crdt', 'store.kv.raft', 'store.memory', 'store.sql',
  'template.jet', 'template.set', 'temporal.client', 'temporal.worker', 'terminal.host', 'workflow.lua',
  'workflow.lua.bc',
]);
