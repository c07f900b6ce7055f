// `logagent check -c conf.ini`: validates the INI and the collect list (from
// etcd, or the INI's [collect.*] sections) and prints what would be collected.
//
// Every problem goes to stderr before anything is called valid, and "valid" is
// printed only when nothing is wrong. Exit codes: 0 valid, 2 a configuration
// problem (a ConfigError, reported by main with file, line, section and key),
// 3 etcd did not answer (the INI is fine, the list could not be checked), 4
// etcd refused the agent (TLS, user name or password, or the permission to read
// the key: said in one sentence, naming the settings involved), 1 an unexpected
// failure, told in one sentence (never a stack trace). etcd is reached with the
// same TLS and user settings as the agent's.
// Values written as `${NAME}` are shown as written, never as what they became.
import { coloursFor } from "./telemetry/colour";
import { ConfigError } from "./config/config-error";
import { detectHost, expandKey } from "./config/host";
import { type IniRead, readIni } from "./config/load-ini";
import { UNCONFINED_WARNING } from "./discovery/allow-paths";
import { type KeyRead, readKey } from "./discovery/etcd-key";
import { EXIT_ETCD_REFUSED, EXIT_ETCD_UNREACHABLE, etcdProblem, exitCodeFor } from "./discovery/etcd-problem";
import { admitList } from "./discovery/list-rules";
import { type ResolvedEntry, resolveEntries } from "./discovery/resolve-entries";
import { createEtcdClient } from "./discovery/etcd-source";

export const EXIT_VALID = 0;
export const EXIT_INVALID = 2;
export { EXIT_ETCD_REFUSED, EXIT_ETCD_UNREACHABLE };
const EXIT_FAILED = 1;
const pc = coloursFor(process.stdout);

export async function check(configPath: string): Promise<number> {
  const ini = readIni(configPath); // a ConfigError is reported by main with exit 2
  try {
    return await checkList(ini);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    process.stderr.write(`logagent: check failed: ${(err as Error)?.message ?? String(err)}\n`);
    return EXIT_FAILED;
  }
}

async function checkList(ini: IniRead): Promise<number> {
  const { config } = ini;
  const host = detectHost(config.agent.ip, config.agent.hostname);
  if (!config.etcd) {
    // readIni has resolved [collect.*] sections already, reporting problems with their lines.
    const { resolved } = resolveEntries(config.collect, config, host);
    printSummary(ini);
    console.log(`Would collect, from the INI's [collect.*] sections:`);
    printEntries(resolved, ini);
    return EXIT_VALID;
  }

  const key = expandKey(config.etcd.collectKeyTemplate, host);
  const endpoints = shown(ini, "etcd", "address", config.etcd.endpoints.join(", "));
  let kv: KeyRead;
  let connection: Awaited<ReturnType<typeof createEtcdClient>> | undefined;
  try {
    try {
      connection = await createEtcdClient(config.etcd);
      kv = await readKey(connection.client, key, config.etcd.timeoutMs);
    } catch (err) {
      // A member serving plain http now and then resets a TLS handshake instead of failing it
      // ("read ECONNRESET", about 1 in 30 under load): one more try, on a fresh connection, gets
      // the handshake's own error, so that check says what is wrong rather than "did not answer".
      if (!config.etcd.tls || !/ECONNRESET/.test(connection?.describe(err).detail ?? "")) throw err;
      connection?.client.close();
      connection = await createEtcdClient(config.etcd);
      kv = await readKey(connection.client, key, config.etcd.timeoutMs);
    }
  } catch (err) {
    const problem = connection?.describe(err) ?? etcdProblem(err);
    if (problem.kind === "unreachable") {
      process.stderr.write(`logagent: etcd at ${endpoints} did not answer (${problem.detail}): the INI has no errors, but the collect list at ${key} was not checked.\n`);
    } else {
      const user = config.etcd.auth ? ` as user ${shown(ini, "etcd", "username", config.etcd.auth.username)}` : "";
      process.stderr.write(`logagent: etcd at ${endpoints}${user}: ${problem.summary} (${problem.detail}). The collect list at ${key} was not checked.\n`);
    }
    return exitCodeFor(problem);
  } finally {
    connection?.client.close();
  }

  const origin = `etcd key ${key} (revision ${kv.modRevision})`;
  const admitted = kv.value === null ? null : admitList(kv.value, config, host);
  if (admitted?.problems.length) throw new ConfigError(admitted.problems.map((message) => ({ file: origin, message })));
  printSummary(ini);
  const { tls, auth } = config.etcd;
  const security = [tls ? (tls.cert ? "TLS with a client certificate" : "TLS") : "", auth ? `user ${shown(ini, "etcd", "username", auth.username)}` : ""].filter(Boolean);
  // Never the password, as for Kafka.
  console.log(`  etcd: ${endpoints}, key ${key} (host ${host.hostname}, ip ${host.ip}${security.map((s) => ", " + s).join("")})`);
  if (config.agent.allowPaths) console.log(`  etcd may name: ${config.agent.allowPaths.patterns.join(", ")}`);
  else console.log(`${pc.yellow("warning")} ${UNCONFINED_WARNING}`);
  if (!admitted) {
    console.log(`${pc.yellow("note")} etcd key ${key} is absent: the agent would collect nothing until it is put.`);
    return EXIT_VALID;
  }
  console.log(`Would collect, from ${origin}:`);
  printEntries(admitted.resolved, null);
  return EXIT_VALID;
}

/** The value as the INI wrote it when it came from `${NAME}`: the environment may hold secrets. */
export function shown(ini: IniRead, section: string, key: string, value: string): string {
  return ini.fromEnv.get(`${section}\0${key}`) ?? value;
}

function printSummary(ini: IniRead): void {
  const { config } = ini;
  const { kafka } = config;
  console.log(`${pc.green("ok")} ${config.file} is valid.`);
  const security = [
    kafka.security.sasl ? `SASL ${kafka.security.sasl.mechanism} as ${shown(ini, "kafka", "sasl_username", kafka.security.sasl.username)}` : "",
    kafka.security.tls ? "TLS" : "",
  ].filter(Boolean);
  // Never the password: this output is pasted into tickets.
  console.log(`  kafka: ${shown(ini, "kafka", "address", kafka.brokers.join(", "))} (client id ${shown(ini, "kafka", "client_id", kafka.clientId)}${security.length ? ", " + security.join(", ") : ""})`);
  console.log(`  state: ${shown(ini, "agent", "state_dir", config.agent.stateDir)}`);
  if (config.http.address) console.log(`  http: ${shown(ini, "http", "address", `${config.http.address.hostname}:${config.http.address.port}`)} (/metrics, /healthz, /status)`);
  if (ini.fromEnv.size) {
    const from = [...ini.fromEnv].map(([id, written]) => `[${id.split("\0")[0]}] ${id.split("\0")[1]} = ${written}`);
    console.log(`  from the environment: ${from.join(", ")}`);
  }
}

/** What would be collected; `ini` is given for the INI's own list, whose values may come from `${NAME}`. */
function printEntries(resolved: ResolvedEntry[], ini: IniRead | null): void {
  if (resolved.length === 0) console.log("  (nothing to collect)");
  resolved.forEach(({ entry, output: o, tail: t }, i) => {
    const section = ini?.collectSections[i];
    const path = section ? shown(ini!, section, "path", entry.path) : entry.path;
    const topic = section && ini!.fromEnv.has(`${section}\0topic`) ? shown(ini!, section, "topic", o.topic) : o.topic;
    const partitioning = o.partitioner === "partition" ? `partition ${o.partition}` : o.partitioner === "key" ? `key ${o.key}` : "round robin";
    const acks = o.acks === -1 ? "all" : o.acks;
    const reading = [
      t.glob ? "glob" : "",
      t.lines.encoding !== "utf-8" ? `encoding ${t.lines.encoding}` : "",
      t.lines.multiline ? `multiline ${t.lines.multiline.start ? "start" : "continuation"} ${t.lines.multiline.start ?? t.lines.multiline.continuation}` : "",
      t.lines.include.length || t.lines.exclude.length ? "line filters" : "",
    ].filter(Boolean);
    console.log(`  ${path} -> topic ${topic} (from ${t.from}, acks ${acks}, ${partitioning}, ${o.compression}, ${o.format}${reading.map((r) => ", " + r).join("")})`);
  });
}
