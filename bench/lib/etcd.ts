// Collect lists for logagent, written to the benchmark's own etcd, as a user's deployment does.
import { Etcd3 } from "etcd3";
import { ETCD } from "./settings";

let client: Etcd3 | null = null;
const etcd = () => (client ??= new Etcd3({ hosts: `http://${ETCD}` }));

export async function putKey(key: string, value: string): Promise<void> {
  await etcd().put(key).value(value);
}

export async function deleteKey(key: string): Promise<void> {
  await etcd().delete().key(key);
}

export function closeEtcd(): void {
  client?.close();
  client = null;
}
