// Reads every key under a prefix in pages, as one consistent picture: the first page's revision is
// asked of every later page, so keys written or deleted while the pages are read do not show up
// half-way (a fleet of 10,000 agents rewrites a few hundred status keys a second). Pages keep each
// response small for etcd and the client; a compaction past that revision between two pages starts
// the read again at the newest revision.
import type { Etcd3, IKeyValue } from "etcd3";

export const PAGE_SIZE = 1000;

/** The end of the range of keys that start with `prefix` (etcd's `range_end`): its last byte below 0xff, plus one. */
export function prefixEnd(prefix: Buffer): Buffer {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const end = Buffer.from(prefix.subarray(0, i + 1));
      end[i]!++;
      return end;
    }
  }
  return Buffer.from([0]); // every key (an empty prefix, or only 0xff bytes)
}

/** The first key after `key`: where the next page starts. */
export function keyAfter(key: Buffer): Buffer {
  return Buffer.concat([key, Buffer.from([0])]);
}

export interface PrefixRead {
  /** The revision every page was read at. */
  revision: string;
  kvs: IKeyValue[];
  pages: number;
}

export interface ReadOptions {
  pageSize?: number;
  /** Each call's deadline ([etcd] timeout). */
  deadlineMs?: number;
  /** Called between pages (a test writes there to show the picture stays at one revision). */
  afterPage?: (page: number) => Promise<void>;
}

export async function readPrefix(client: Etcd3, prefix: string, options: ReadOptions = {}): Promise<PrefixRead> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await readPages(client, prefix, options);
    } catch (err) {
      if (attempt === 0 && /required revision has been compacted/i.test((err as Error)?.message ?? "")) continue;
      throw err;
    }
  }
}

async function readPages(client: Etcd3, prefix: string, { pageSize = PAGE_SIZE, deadlineMs = 5000, afterPage }: ReadOptions): Promise<PrefixRead> {
  const end = prefixEnd(Buffer.from(prefix));
  let key: Buffer = Buffer.from(prefix);
  let revision: string | null = null;
  const kvs: IKeyValue[] = [];
  let pages = 0;
  for (;;) {
    const res = await client.kv.range({ key, range_end: end, limit: pageSize, revision: revision ?? 0 }, { deadline: Date.now() + deadlineMs });
    pages++;
    revision ??= res.header.revision;
    kvs.push(...res.kvs);
    if (!res.more || res.kvs.length === 0) return { revision, kvs, pages };
    await afterPage?.(pages);
    key = keyAfter(res.kvs[res.kvs.length - 1]!.key);
  }
}
