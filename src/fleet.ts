// `logagent fleet -c conf.ini [--json]`: every agent that keeps its status in etcd, read with the
// INI's own [etcd] settings (TLS, user) under the prefix of its status_key, in pages of 1,000 keys
// at one revision (prefix-pages.ts). A table on a terminal (coloured only there), or with --json
// the statuses as the agents wrote them, for scripts.
//
// Exit codes, as check's: 0 listed (also when no agent is), 2 a configuration problem (reported by
// main with file, line and key), 3 etcd did not answer, 4 etcd refused (TLS, user, or the
// permission to read the prefix), 1 an unexpected failure, in one sentence.
import { shown } from "./check";
import { ConfigError } from "./config/config-error";
import { keyPrefix } from "./config/host";
import { readIni } from "./config/load-ini";
import { etcdProblem, exitCodeFor } from "./discovery/etcd-problem";
import { createEtcdClient } from "./discovery/etcd-source";
import { type PrefixRead, readPrefix } from "./discovery/prefix-pages";
import { coloursFor } from "./telemetry/colour";
import { fleetRow, formatFleet } from "./telemetry/fleet-table";

const EXIT_OK = 0;
const EXIT_FAILED = 1;

export async function fleet(configPath: string, json: boolean): Promise<number> {
  const ini = readIni(configPath); // a ConfigError is reported by main with exit 2
  const { etcd } = ini.config;
  if (!etcd) throw new ConfigError([{ file: ini.config.file, message: "fleet reads the agents' status from etcd, and this INI has no [etcd] section" }]);
  if (!etcd.statusKeyTemplate) throw new ConfigError([{ file: ini.config.file, section: "etcd", key: "status_key", message: `= "": fleet lists the keys under status_key's prefix; set it as the agents have it` }]);
  const prefix = keyPrefix(etcd.statusKeyTemplate);
  const endpoints = shown(ini, "etcd", "address", etcd.endpoints.join(", "));
  let connection: Awaited<ReturnType<typeof createEtcdClient>> | undefined;
  let read: PrefixRead;
  try {
    connection = await createEtcdClient(etcd);
    read = await readPrefix(connection.client, prefix, { deadlineMs: etcd.timeoutMs });
  } catch (err) {
    const problem = connection?.describe(err) ?? etcdProblem(err);
    const user = etcd.auth ? ` as user ${shown(ini, "etcd", "username", etcd.auth.username)}` : "";
    const summary = problem.kind === "permission" ? `etcd refused to let this user read the status keys: grant its role read access to the prefix (etcdctl role grant-permission ROLE read --prefix ${prefix})` : problem.summary;
    process.stderr.write(`logagent: etcd at ${endpoints}${user}: ${summary} (${problem.detail}). The agents under ${prefix} were not listed.\n`);
    return exitCodeFor(problem);
  } finally {
    connection?.client.close();
  }
  try {
    const agents = read.kvs.map((kv) => ({ key: kv.key.toString("utf8"), value: kv.value.toString("utf8") }));
    if (json) {
      const statuses = agents.map(({ key, value }) => {
        try {
          return { key, status: JSON.parse(value) as unknown };
        } catch {
          return { key, error: "not JSON" };
        }
      });
      process.stdout.write(JSON.stringify({ prefix, revision: read.revision, agents: statuses }, null, 2) + "\n");
    } else {
      const now = new Date();
      process.stdout.write(formatFleet(agents.map(({ key, value }) => fleetRow(key, value, now)), coloursFor(process.stdout)));
    }
    return EXIT_OK;
  } catch (err) {
    process.stderr.write(`logagent: fleet failed: ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT_FAILED;
  }
}
