// Writes collect lists into the real etcd the tests run against, and drives the
// extra etcds scripts/services.sh starts on demand (a TLS one, one that wants
// client certificates, a 3-member cluster), with etcdctl as an operator would.
import { Etcd3 } from "etcd3";
import path from "node:path";
import { ROOT, services } from "./env";

export function etcdClient(): Etcd3 {
  return new Etcd3({ hosts: services.etcd.split(",").map((h) => `http://${h}`) });
}

export async function putList(client: Etcd3, key: string, entries: unknown): Promise<void> {
  await client.put(key).value(typeof entries === "string" ? entries : JSON.stringify(entries));
}

export type ExtraEtcd = "etcd-tls" | "etcd-mtls" | "etcd-m1" | "etcd-m2" | "etcd-m3";

function servicesSh(...args: string[]): string {
  const r = Bun.spawnSync([path.join(ROOT, "scripts/services.sh"), args[0]!, services.runDir, ...args.slice(1)], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`services.sh ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout.toString().trim().split("\n").at(-1)!;
}

/** Starts it (with a fresh data dir unless it was only stopped) and returns its client URL once healthy. */
export const startEtcd = (name: ExtraEtcd): string => servicesSh("start-etcd", name);
/** Stops it and keeps its data: a cluster member started again rejoins. */
export const stopEtcd = (name: ExtraEtcd): void => void servicesSh("stop-etcd", name);
/** Stops it and deletes its data. */
export const removeEtcd = (name: ExtraEtcd): void => void servicesSh("remove-etcd", name);
/** Starts etcd-m1..3 as one fresh cluster; returns their client URLs. */
export const startCluster = (): string[] => servicesSh("start-etcd-cluster").split(",");

export interface EtcdctlAccess {
  endpoints: string;
  ca?: string;
  cert?: string;
  key?: string;
  /** `name:password` */
  user?: string;
}

/** Runs etcdctl (v3 API) and returns its stdout; throws with its stderr when it fails. */
export function etcdctl(access: EtcdctlAccess, ...args: string[]): string {
  const flags = [`--endpoints=${access.endpoints}`, "--dial-timeout=2s", "--command-timeout=5s"];
  if (access.ca) flags.push(`--cacert=${access.ca}`);
  if (access.cert) flags.push(`--cert=${access.cert}`, `--key=${access.key}`);
  if (access.user) flags.push(`--user=${access.user}`);
  const r = Bun.spawnSync(["etcdctl", ...flags, ...args], { env: { ...process.env, ETCDCTL_API: "3" }, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`etcdctl ${args.join(" ")} failed:\n${r.stderr}`);
  return r.stdout.toString();
}

/** etcdctl's JSON, with its 64-bit ids kept exact (as strings): JSON numbers lose them above 2^53. */
const parseJson = (text: string) => JSON.parse(text.replace(/:\s*(\d{16,})/g, ':"$1"'));

/** The hex ids, names and URLs of a cluster's members, and which one leads. */
export function clusterStatus(access: EtcdctlAccess): { id: string; name: string; url: string; leader: boolean }[] {
  const members = (parseJson(etcdctl(access, "member", "list", "-w", "json")).members as { ID: string | number; name: string; clientURLs: string[] }[]).map((m) => ({
    id: BigInt(m.ID).toString(16),
    name: m.name,
    url: m.clientURLs[0]!,
  }));
  const leaders = new Set<string>();
  // Members that are down are left out of `endpoint status`; ask each live one separately.
  for (const m of members) {
    try {
      const [status] = parseJson(etcdctl({ ...access, endpoints: m.url }, "endpoint", "status", "-w", "json")) as { Status: { leader: string | number } }[];
      leaders.add(BigInt(status!.Status.leader).toString(16));
    } catch {
      // down
    }
  }
  return members.map((m) => ({ ...m, leader: leaders.has(m.id) }));
}
