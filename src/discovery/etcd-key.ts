// One etcd key read with its revisions, and written only if nobody wrote it
// since it was read. `check` and `logagent collect` use these; the agent's
// watch (etcd-source.ts) has its own loop.
//
// The write is one transaction: "if the key's mod revision is still the one
// read, put the new value, else read the key". A key that was absent compares
// its create revision with 0 (etcd's way to say "does not exist"), so a key
// created meanwhile is a conflict too. The else branch reads the key in the
// same transaction, so a conflict names the revision that won, not a later one.
import type { Etcd3 } from "etcd3";

export interface KeyRead {
  /** The value as text, or null when the key is absent. */
  value: string | null;
  /** The key's mod revision; 0n when it is absent. */
  modRevision: bigint;
}

export type KeyWrite = { written: true; modRevision: bigint } | { written: false; current: KeyRead };

/** etcd3 applies [etcd] timeout as a call deadline, but not to every wait (dialling a silent member): this bounds the whole call. */
export function within<T>(call: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

export async function readKey(client: Etcd3, key: string, timeoutMs: number): Promise<KeyRead> {
  const kv = (await within(client.get(key).exec(), timeoutMs)).kvs[0];
  return kv ? { value: kv.value.toString("utf8"), modRevision: BigInt(kv.mod_revision) } : { value: null, modRevision: 0n };
}

/** Puts `value` if the key's mod revision is still `expected` (0n: if the key is still absent). */
export async function writeKeyIf(client: Etcd3, key: string, value: string, expected: bigint, timeoutMs: number): Promise<KeyWrite> {
  const txn = expected === 0n ? client.if(key, "Create", "==", 0) : client.if(key, "Mod", "==", expected.toString());
  const res = await within(txn.then(client.put(key).value(value)).else(client.get(key)).commit(), timeoutMs);
  if (res.succeeded) return { written: true, modRevision: BigInt(res.header.revision) };
  const kv = res.responses[0]?.response_range.kvs[0];
  return { written: false, current: kv ? { value: kv.value.toString("utf8"), modRevision: BigInt(kv.mod_revision) } : { value: null, modRevision: 0n } };
}
