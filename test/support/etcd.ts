// Writes collect lists into the real etcd the tests run against.
import { Etcd3 } from "etcd3";
import { services } from "./env";

export function etcdClient(): Etcd3 {
  return new Etcd3({ hosts: services.etcd.split(",").map((h) => `http://${h}`) });
}

export async function putList(client: Etcd3, key: string, entries: unknown): Promise<void> {
  await client.put(key).value(typeof entries === "string" ? entries : JSON.stringify(entries));
}
