// `logagent check -c conf.ini`: validates the INI and, when etcd answers, the
// collect list; prints what the agent would collect. Exit 0 valid, 2 not.
import pc from "picocolors";
import { detectHost, expandKey } from "./config/host";
import { loadIni } from "./config/load-ini";
import { type CollectEntry, parseCollectList } from "./discovery/collect-entry";
import { createEtcdClient } from "./discovery/etcd-source";

const EXIT_INVALID = 2;

function printEntries(entries: CollectEntry[], defaultFrom: string): void {
  if (entries.length === 0) console.log("  (nothing to collect)");
  for (const e of entries) console.log(`  ${e.path} -> topic ${e.topic} (from ${e.from ?? defaultFrom})`);
}

export async function check(configPath: string): Promise<number> {
  const config = loadIni(configPath); // a ConfigError is reported by main with exit 2
  const host = detectHost(config.agent.ip);
  console.log(`${pc.green("ok")} ${config.file} is valid.`);
  console.log(`  kafka: ${config.kafka.brokers.join(", ")} (acks ${config.kafka.acks === -1 ? "all" : config.kafka.acks}, client id ${config.kafka.clientId})`);
  console.log(`  state: ${config.agent.stateDir}`);
  if (!config.etcd) {
    console.log(`Would collect, from the INI's [collect.*] sections:`);
    printEntries(config.collect, config.agent.from);
    return 0;
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
    printEntries(entries, config.agent.from);
    return 0;
  } catch (err) {
    console.log(`${pc.yellow("note")} etcd at ${config.etcd.endpoints.join(", ")} did not answer (${(err as Error).message}); the collect list was not checked.`);
    return 0;
  } finally {
    client.close();
  }
}
