// `logagent check -c conf.ini`: validates the INI and, when etcd answers, the
// collect list; prints what the agent would collect. Exit 0 valid, 2 not.
import { coloursFor } from "./telemetry/colour";
import { detectHost, expandKey, type HostIdentity } from "./config/host";
import { type AgentConfig, loadIni } from "./config/load-ini";
import { type CollectEntry, parseCollectList } from "./discovery/collect-entry";
import { resolveEntries } from "./kafka/output";
import { createEtcdClient } from "./discovery/etcd-source";

const EXIT_INVALID = 2;
const pc = coloursFor(process.stdout);

/** Prints what would be collected, or the problems; returns false when an entry does not resolve. */
function printEntries(entries: CollectEntry[], config: AgentConfig, host: HostIdentity, origin: string): boolean {
  const { resolved, problems } = resolveEntries(entries, config, host);
  for (const p of problems) console.log(`${pc.red("error")} ${origin}: ${p}`);
  if (problems.length) return false;
  if (resolved.length === 0) console.log("  (nothing to collect)");
  for (const { entry, output: o, tail: t } of resolved) {
    const partitioning = o.partitioner === "partition" ? `partition ${o.partition}` : o.partitioner === "key" ? `key ${o.key}` : "round robin";
    const acks = o.acks === -1 ? "all" : o.acks;
    const reading = [
      t.glob ? "glob" : "",
      t.lines.encoding !== "utf-8" ? `encoding ${t.lines.encoding}` : "",
      t.lines.multiline ? `multiline ${t.lines.multiline.start ? "start" : "continuation"} ${t.lines.multiline.start ?? t.lines.multiline.continuation}` : "",
      t.lines.include.length || t.lines.exclude.length ? "line filters" : "",
    ].filter(Boolean);
    console.log(`  ${entry.path} -> topic ${o.topic} (from ${t.from}, acks ${acks}, ${partitioning}, ${o.compression}, ${o.format}${reading.map((r) => ", " + r).join("")})`);
  }
  return true;
}

export async function check(configPath: string): Promise<number> {
  const config = loadIni(configPath); // a ConfigError is reported by main with exit 2
  const host = detectHost(config.agent.ip);
  console.log(`${pc.green("ok")} ${config.file} is valid.`);
  const { kafka } = config;
  const security = [
    kafka.security.sasl ? `SASL ${kafka.security.sasl.mechanism} as ${kafka.security.sasl.username}` : "",
    kafka.security.tls ? "TLS" : "",
  ].filter(Boolean);
  // Never the password: this output is pasted into tickets.
  console.log(`  kafka: ${kafka.brokers.join(", ")} (client id ${kafka.clientId}${security.length ? ", " + security.join(", ") : ""})`);
  console.log(`  state: ${config.agent.stateDir}`);
  if (!config.etcd) {
    console.log(`Would collect, from the INI's [collect.*] sections:`);
    return printEntries(config.collect, config, host, config.file) ? 0 : EXIT_INVALID;
  }

  const key = expandKey(config.etcd.collectKeyTemplate, host);
  console.log(`  etcd: ${config.etcd.endpoints.join(", ")}, key ${key} (host ${host.hostname}, ip ${host.ip})`);
  const client = await createEtcdClient(config.etcd.endpoints, config.etcd.timeoutMs);
  try {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer within ${config.etcd!.timeoutMs} ms`)), config.etcd!.timeoutMs).unref(),
    );
    const res = await Promise.race([client.get(key).exec(), timeout]);
    const kv = res.kvs[0];
    if (!kv) {
      console.log(`${pc.yellow("note")} etcd key ${key} is absent: the agent would collect nothing until it is put.`);
      return 0;
    }
    const { entries, problems } = parseCollectList(kv.value.toString("utf8"));
    if (problems.length) {
      for (const p of problems) console.log(`${pc.red("error")} etcd key ${key} (revision ${kv.mod_revision}): ${p}`);
      return EXIT_INVALID;
    }
    console.log(`Would collect, from etcd key ${key} at revision ${kv.mod_revision}:`);
    return printEntries(entries, config, host, `etcd key ${key} (revision ${kv.mod_revision})`) ? 0 : EXIT_INVALID;
  } catch (err) {
    console.log(`${pc.yellow("note")} etcd at ${config.etcd.endpoints.join(", ")} did not answer (${(err as Error).message}); the collect list was not checked.`);
    return 0;
  } finally {
    client.close();
  }
}
