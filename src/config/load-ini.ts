// Reads the INI bootstrap file into an AgentConfig, checking it against the
// option table. Every problem is collected and reported at once, each naming
// the file, line, section, key and the bad value.
//
// The text itself (encodings, lines, quotes, comments, repeated sections and
// keys) is ini-text.ts's job; `${NAME}` is env-vars.ts's. Here every key that
// ini-text found is either used or reported: none can vanish between parsing
// and validation. A [collect.NAME] list is also resolved (topic placeholders,
// globs, acks with idempotence) so that its problems get lines too.
import { type Stats, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type CollectEntry, ENTRY_FIELD_NAMES, entryLabel, type StartFrom, validateEntries } from "../discovery/collect-entry";
import { AllowPaths } from "../discovery/allow-paths";
import { LEGAL_TOPIC, type OutputOptions } from "../discovery/entry-output";
import { resolveEntries } from "../discovery/resolve-entries";
import type { LogLevel } from "../telemetry/logger";
import type { TailOptions } from "../tail/tail-settings";
import { ConfigError, type ConfigProblem } from "./config-error";
import { type Environment, expandVariables } from "./env-vars";
import { detectHost } from "./host";
import { decodeIni, type IniKey, type IniSection, parseIniText } from "./ini-text";
import { type ListenAddress, parseListenAddress } from "./listen-address";
import { PEM_FILE_LIMIT, readOptionFile } from "./option-file";
import { ENTRY_OPTIONS, OPTIONS, type OptionId, type OptionSpec, type OptionValues, SECTIONS, describeType, findOption, isListOption, parseOptionValue } from "./options";

export interface KafkaSecurity {
  sasl: { mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; username: string; password: string } | null;
  /** PEM contents, read when the INI is loaded so that a missing file is a configuration error. */
  tls: { ca?: string; cert?: string; key?: string } | null;
}

/** How to reach etcd; the TLS files are read when the INI is loaded. */
export interface EtcdSettings {
  endpoints: string[];
  timeoutMs: number;
  collectKeyTemplate: string;
  /** Where the agent's status goes ("" = no status), with the placeholders of collectKeyTemplate. */
  statusKeyTemplate: string;
  statusIntervalMs: number;
  statusLeaseTtlS: number;
  /** PEM contents, for https:// endpoints (null for http://); no `ca` means the system's CAs. */
  tls: { ca?: string; cert?: string; key?: string } | null;
  /** etcd user and password (a secret: never logged). */
  auth: { username: string; password: string } | null;
}

export interface AgentConfig {
  /** Absolute path of the INI file. */
  file: string;
  kafka: {
    brokers: string[];
    chanMaxSize: number;
    clientId: string;
    batchMaxMessages: number;
    batchMaxBytes: number;
    maxInFlight: number;
    lingerMs: number;
    maxMessageBytes: number;
    oversize: "split" | "truncate";
    /** The idempotent producer: `idempotent = true`, or implied by exactly_once. */
    idempotent: boolean;
    delivery: "at_least_once" | "exactly_once";
    /** The transactional id (exactly_once), resolved: the option, or its default from the host and state_dir. */
    transactionalId: string;
    offsetsTopic: string;
    transactionMaxMs: number;
    transactionMaxBytes: number;
    autoCreateTopics: boolean;
    /** Where lines Kafka refuses for good go; "" for none (they wait). */
    deadLetterTopic: string;
    /** Defaults of the options a collect entry may override. */
    output: OutputOptions;
    security: KafkaSecurity;
  };
  /** The [fields] section. */
  fields: Record<string, string>;
  /** Absent when the INI has no [etcd] section: the collect list is then `collect`. */
  etcd?: EtcdSettings;
  agent: {
    stateDir: string;
    logLevel: LogLevel;
    /** Absolute path, or "" for the default (stderr from a console, a file under the Windows service manager). */
    logFile: string;
    logMaxBytes: number;
    logKeep: number;
    logFormat: "text" | "json";
    from: StartFrom;
    ip: string;
    /** "" means the machine's host name. */
    hostname: string;
    pollIntervalMs: number;
    idlePollMaxMs: number;
    rotateWaitMs: number;
    rescanIntervalMs: number;
    maxOpenFiles: number;
    /** The files a list from etcd may name; null when allow_paths is empty (any file). */
    allowPaths: AllowPaths | null;
    /** Defaults of the [agent] options a collect entry may override (how its files are read). */
    tail: TailOptions;
    maxBufferBytes: number;
    checkpointIntervalMs: number;
    forgetAfterMs: number;
    shutdownTimeoutMs: number;
  };
  /** Entries from [collect.NAME] sections. */
  collect: CollectEntry[];
  http: {
    /** Null when [http] address is empty: no server. */
    address: ListenAddress | null;
    unhealthyAfterMs: number;
  };
}

const COLLECT_PREFIX = "collect.";
/** A hand-written INI is a few kilobytes; anything near this is not one. */
const INI_FILE_LIMIT = 1 << 20;
const KNOWN_ENTRY_FIELDS = new Set(ENTRY_FIELD_NAMES);

/** What `check` needs beside the config: where values came from. */
export interface IniRead {
  config: AgentConfig;
  /** Values written with `${NAME}`, as written ("section\0key" -> "${KAFKA_PASSWORD}"): `check` shows these, never what they became. */
  fromEnv: Map<string, string>;
  /** The [collect.NAME] section of each entry of config.collect, in order. */
  collectSections: string[];
}

/** The problem's text without the entry field that the problem names: INI messages name the key instead. */
function withoutField(text: string, field: string | undefined): string {
  if (field === undefined) return text;
  if (text === `missing field "${field}"`) return "missing required key";
  for (const prefix of [`field "${field}": `, `field "${field}" `]) if (text.startsWith(prefix)) return text.slice(prefix.length);
  return text;
}

export function parseIni(text: string, file: string, env: Environment = process.env): AgentConfig {
  return readIniText(text, file, env).config;
}

/** The INI's bytes, in any encoding decodeIni accepts. */
export function readIniBytes(bytes: Uint8Array, file: string, env: Environment = process.env): IniRead {
  const decoded = decodeIni(bytes, file);
  if ("problem" in decoded) throw new ConfigError([decoded.problem]);
  return readIniText(decoded.text, file, env);
}

export function readIniText(text: string, file: string, env: Environment): IniRead {
  const doc = parseIniText(text, file);
  const problems: ConfigProblem[] = [...doc.problems];
  const fromEnv = new Map<string, string>();
  const secrets = new Map<string, string[]>(); // "section\0key" -> the variables its value used
  const lineOf = (section: string, key?: string) => {
    const s = doc.sections.get(section);
    return (key === undefined ? undefined : s?.keys.get(key)?.line) ?? s?.line;
  };
  /** For a `key[]` list, the line of the value a problem (`= "value": ...`) is about. */
  const lineOfValue = (section: string, key: string | undefined, message: string) => {
    const values = key === undefined ? [] : (doc.sections.get(section)?.keys.get(key)?.values ?? []);
    const shown = /^= ("(?:[^"\\]|\\.)*")/.exec(message)?.[1];
    const value = values.length > 1 && shown ? (JSON.parse(shown) as string) : undefined;
    return values.find((v) => v.text === value)?.line ?? lineOf(section, key);
  };
  const report = (section: IniSection, key: IniKey, message: string) =>
    problems.push({ file, line: key.line, section: section.name, key: key.name, message });

  /** The key's text with `${NAME}` replaced (a list for `key[]` lines); undefined when that failed (reported). */
  const textOf = (section: IniSection, key: IniKey): string | string[] | undefined => {
    if (key.broken) return undefined;
    const out: string[] = [];
    const names: string[] = [];
    for (const v of key.values) {
      const r = expandVariables(v.text, env);
      if ("problem" in r) {
        problems.push({ file, line: v.line, section: section.name, key: key.name, message: r.problem });
        return undefined;
      }
      out.push(r.value);
      names.push(...r.names);
    }
    if (names.length) {
      fromEnv.set(`${section.name}\0${key.name}`, key.values.map((v) => v.text).join(", "));
      secrets.set(`${section.name}\0${key.name}`, names);
    }
    return key.list ? out : out[0];
  };
  /** `key[]` only where the option takes a list. */
  const listAllowed = (section: IniSection, key: IniKey, spec: OptionSpec | undefined) => {
    if (!key.list || (spec && isListOption(spec))) return true;
    report(section, key, `takes one value; "${key.name}[] = ..." is for lists`);
    return false;
  };

  const values = new Map<string, unknown>(); // "section.key" -> typed value
  const present = new Set<string>(); // "section.key" written in the file, valid or not
  const collectRaw: Record<string, unknown>[] = [];
  const collectSections: string[] = [];
  const brokenFields: Set<string>[] = [];
  const fields: Record<string, string> = {};
  for (const section of doc.sections.values()) {
    if (section.name.startsWith(COLLECT_PREFIX)) {
      if (section.name === COLLECT_PREFIX) problems.push({ file, line: section.line, section: section.name, message: "needs a name: [collect.NAME]" });
      const raw: [string, unknown][] = [];
      const broken = new Set<string>();
      for (const key of section.keys.values()) {
        if (!KNOWN_ENTRY_FIELDS.has(key.name)) {
          report(section, key, `unknown key (known: ${ENTRY_FIELD_NAMES.join(", ")})`);
          continue;
        }
        const t = listAllowed(section, key, ENTRY_OPTIONS.find((o) => o.key === key.name)) ? textOf(section, key) : undefined;
        if (t === undefined) broken.add(key.name);
        else raw.push([key.name, t]);
      }
      collectRaw.push(Object.fromEntries(raw));
      collectSections.push(section.name);
      brokenFields.push(broken);
      continue;
    }
    if (section.name === "fields") {
      for (const key of section.keys.values()) {
        if (key.name === "__proto__") {
          report(section, key, "is not allowed as a field name");
          continue;
        }
        const t = listAllowed(section, key, undefined) ? textOf(section, key) : undefined;
        if (typeof t === "string") fields[key.name] = t;
      }
      continue;
    }
    if (!Object.hasOwn(SECTIONS, section.name)) {
      problems.push({ file, line: section.line, section: section.name, message: `unknown section (known: ${Object.keys(SECTIONS).join(", ")}, collect.NAME)` });
      continue;
    }
    for (const key of section.keys.values()) {
      const spec = findOption(section.name, key.name);
      if (!spec) {
        const known = OPTIONS.filter((o) => o.section === section.name).map((o) => o.key);
        report(section, key, `unknown key (known: ${known.join(", ")})`);
        continue;
      }
      present.add(`${section.name}.${key.name}`);
      const raw = listAllowed(section, key, spec) ? textOf(section, key) : undefined;
      if (raw === undefined) continue;
      const { value, problem } = parseOptionValue(spec, raw);
      if (problem) problems.push({ file, line: lineOfValue(section.name, key.name, problem), section: section.name, key: key.name, message: problem });
      else values.set(`${section.name}.${key.name}`, value);
    }
  }

  // Defaults and required keys. [etcd] keys are only required when the section is there.
  for (const spec of OPTIONS) {
    const id = `${spec.section}.${spec.key}`;
    if (values.has(id) || present.has(id)) continue;
    if (spec.default !== undefined) {
      values.set(id, parseOptionValue(spec, spec.default).value);
    } else if (spec.section !== "etcd" || doc.sections.has("etcd")) {
      problems.push({ file, line: lineOf(spec.section), section: spec.section, key: spec.key, message: `missing required key (${spec.description})` });
    }
  }
  const v = <Id extends OptionId>(id: Id) => values.get(id) as OptionValues[Id];
  const etcdAddress = values.get("etcd.address") as string[] | undefined;
  if (etcdAddress) {
    const problem = endpointProblem(etcdAddress);
    if (problem) problems.push({ file, line: lineOf("etcd", "address"), section: "etcd", key: "address", message: problem });
  }

  const collect = validateEntries(collectRaw, collectSections.map((s) => `[${s}] at line ${lineOf(s)}`));
  for (const p of collect.located) {
    if (p.field !== undefined && brokenFields[p.index!]!.has(p.field)) continue; // already reported on its own line
    const section = collectSections[p.index!]!;
    const message = withoutField(p.text, p.field);
    problems.push({ file, line: lineOfValue(section, p.field, message), section, ...(p.field ? { key: p.field } : {}), message });
  }
  if (!doc.sections.has("etcd") && collectRaw.length === 0 && problems.length === 0) {
    problems.push({ file, message: "nothing to collect: add an [etcd] section or at least one [collect.NAME] section with path and topic" });
  }
  const security = readSecurity(v, (key, message) => {
    // A key that is written but failed (a missing ${NAME}) has been reported on its line already.
    if (!(message.startsWith("missing") && present.has(`kafka.${key}`))) problems.push({ file, line: lineOf("kafka", key), section: "kafka", key, message });
  });
  const etcdSecurity = doc.sections.has("etcd") && etcdAddress
    ? readEtcdSecurity(v, etcdAddress, (key, message) => {
        if (!(message.startsWith("missing") && present.has(`etcd.${key}`))) problems.push({ file, line: lineOf("etcd", key), section: "etcd", key, message });
      })
    : { tls: null, auth: null };
  // A value from the environment may be a secret: a message about it shows ${NAME} where its value was.
  const redact = (p: ConfigProblem): ConfigProblem => {
    const names = secrets.get(`${p.section}\0${p.key}`);
    if (!names) return p;
    let message = p.message;
    for (const name of names) if (env[name]) message = message.replaceAll(env[name]!, () => `\${${name}}`);
    return { ...p, message: `${message} (a value from the environment)` };
  };
  const fail = () => new ConfigError(problems.map(redact).sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  // A log_file that exists must be a file: a FIFO or a device would block or swallow the log.
  const logFile = v("agent.log_file");
  if (logFile) {
    const where = path.resolve(path.dirname(file), logFile);
    const kind = nonFileKind(where);
    if (kind) problems.push({ file, line: lineOf("agent", "log_file"), section: "agent", key: "log_file", message: `= ${JSON.stringify(logFile)}: is ${kind}; it must be a regular file, or not exist yet` });
  }
  const httpAddress = v("http.address") ? parseListenAddress(v("http.address")) : null;
  if (httpAddress && "problem" in httpAddress) problems.push({ file, line: lineOf("http", "address"), section: "http", key: "address", message: httpAddress.problem });
  // Topics of the agent's own (dead letters; exactly_once's positions) are names, not templates.
  for (const key of ["dead_letter_topic", "offsets_topic"] as const) {
    const topic = v(`kafka.${key}`);
    if ((topic || key === "offsets_topic") && !LEGAL_TOPIC.test(topic)) {
      problems.push({ file, line: lineOf("kafka", key), section: "kafka", key, message: `= ${JSON.stringify(topic)}: not a legal Kafka topic name (letters, digits, '.', '_', '-', at most 249)` });
    }
  }
  const offsetsTopic = v("kafka.offsets_topic");
  // exactly_once: acks = all (a transaction is only as good as its writes).
  if (v("kafka.delivery") === "exactly_once" && v("kafka.acks") !== "all" && present.has("kafka.acks")) {
    problems.push({ file, line: lineOf("kafka", "acks"), section: "kafka", key: "acks", message: `= ${JSON.stringify(v("kafka.acks"))}: delivery = exactly_once needs acks = all for every entry (it also turns on the idempotent producer)` });
  }
  const allow = AllowPaths.compile(v("agent.allow_paths") ?? []);
  for (const message of allow.problems) problems.push({ file, line: lineOfValue("agent", "allow_paths", message), section: "agent", key: "allow_paths", message });
  // Entries are resolved against [kafka], [agent] and [fields] below; that needs those sections
  // sound, not every entry: the valid entries are still resolved, so all problems come at once.
  if (problems.some((p) => !p.section?.startsWith(COLLECT_PREFIX))) throw fail();

  const entryDefaults = (section: string) => Object.fromEntries(ENTRY_OPTIONS.filter((o) => o.section === section).map((o) => [o.key, values.get(`${section}.${o.key}`)]));
  const config: AgentConfig = {
    file,
    kafka: {
      brokers: v("kafka.address"),
      chanMaxSize: v("kafka.chan_max_size"),
      clientId: v("kafka.client_id"),
      batchMaxMessages: v("kafka.batch_max_messages"),
      batchMaxBytes: v("kafka.batch_max_bytes"),
      maxInFlight: v("kafka.max_in_flight"),
      lingerMs: v("kafka.linger_ms"),
      maxMessageBytes: v("kafka.max_message_bytes"),
      oversize: v("kafka.oversize"),
      idempotent: v("kafka.idempotent") === "true" || v("kafka.delivery") === "exactly_once",
      delivery: v("kafka.delivery"),
      transactionalId: v("kafka.transactional_id") || defaultTransactionalId(v("agent.hostname") || os.hostname(), path.resolve(path.dirname(file), v("agent.state_dir"))),
      offsetsTopic,
      transactionMaxMs: v("kafka.transaction_max_ms"),
      transactionMaxBytes: v("kafka.transaction_max_bytes"),
      autoCreateTopics: v("kafka.auto_create_topics") === "true",
      deadLetterTopic: v("kafka.dead_letter_topic"),
      output: entryDefaults("kafka") as unknown as OutputOptions,
      security,
    },
    fields,
    etcd: doc.sections.has("etcd")
      ? { endpoints: v("etcd.address"), timeoutMs: v("etcd.timeout") * 1000, collectKeyTemplate: v("etcd.collect_log_key"),
          statusKeyTemplate: v("etcd.status_key"),
          statusIntervalMs: v("etcd.status_interval_s") * 1000,
          statusLeaseTtlS: v("etcd.status_lease_ttl_s"),
          ...etcdSecurity,
        }
      : undefined,
    agent: {
      stateDir: path.resolve(path.dirname(file), v("agent.state_dir")),
      logLevel: v("agent.log_level") satisfies LogLevel,
      logFile: v("agent.log_file") ? path.resolve(path.dirname(file), v("agent.log_file")) : "",
      logMaxBytes: v("agent.log_max_bytes"),
      logKeep: v("agent.log_keep"),
      logFormat: v("agent.log_format"),
      from: v("agent.from") satisfies StartFrom,
      ip: v("agent.ip"),
      hostname: v("agent.hostname"),
      pollIntervalMs: v("agent.poll_interval_ms"),
      idlePollMaxMs: v("agent.idle_poll_max_ms"),
      rotateWaitMs: v("agent.rotate_wait_ms"),
      rescanIntervalMs: v("agent.rescan_interval_ms"),
      maxOpenFiles: v("agent.max_open_files"),
      allowPaths: allow.allow,
      tail: entryDefaults("agent") as unknown as TailOptions,
      maxBufferBytes: v("agent.max_buffer_bytes"),
      checkpointIntervalMs: v("agent.checkpoint_interval_ms"),
      forgetAfterMs: v("agent.forget_after_s") * 1000,
      shutdownTimeoutMs: v("agent.shutdown_timeout_ms"),
    },
    collect: collect.entries,
    http: { address: httpAddress as ListenAddress | null, unhealthyAfterMs: v("http.unhealthy_after_s") * 1000 },
  };

  // What only shows when an entry is resolved against the rest (topic placeholders, a glob path,
  // acks with idempotence) is a configuration problem too, on the line that causes it.
  if (!config.etcd) {
    const host = detectHost(config.agent.ip, config.agent.hostname);
    // A [kafka] or [agent] line that breaks several entries is reported once, naming them all.
    const fromDefaults = new Map<string, { problem: ConfigProblem; sections: string[] }>();
    config.collect.forEach((entry, i) => {
      const section = collectSections[collect.sources[i]!]!;
      for (const text of resolveEntries([entry], config, host).problems) {
        const message = text.slice(`${entryLabel(entry)}: `.length); // the INI names the section instead
        const field = /^fields? "([^"]+)"/.exec(message)?.[1];
        const spec = ENTRY_OPTIONS.find((o) => o.key === field);
        if (field !== undefined && !doc.sections.get(section)!.keys.has(field) && spec && doc.sections.get(spec.section)?.keys.has(spec.key)) {
          const problem = { file, line: lineOf(spec.section, spec.key), section: spec.section, key: spec.key, message: withoutField(message, field) };
          const id = JSON.stringify(problem);
          if (!fromDefaults.has(id)) fromDefaults.set(id, { problem, sections: [] });
          fromDefaults.get(id)!.sections.push(`[${section}]`);
        } else {
          problems.push({ file, line: lineOf(section, field), section, ...(field ? { key: field } : {}), message: withoutField(message, field) });
        }
      }
    });
    for (const { problem, sections } of fromDefaults.values()) problems.push({ ...problem, message: `${problem.message} (for ${sections.join(", ")})` });
    if (problems.length > 0) throw fail();
  }
  return { config, fromEnv, collectSections };
}

/**
 * The default transactional id: the host name and a hash of state_dir. One agent per state_dir
 * (checkpoint/state-lock.ts), so each agent of a host gets its own id, and the same one after a
 * restart (or after state_dir's content is lost: the path is hashed, not what is in it).
 */
export function defaultTransactionalId(hostname: string, stateDir: string): string {
  const hash = new Bun.CryptoHasher("sha256").update(stateDir).digest("hex").slice(0, 8);
  return `logagent-${hostname}-${hash}`;
}

/** "a directory", "a FIFO", ... for an existing path that is not a regular file; undefined for a file or nothing. */
function nonFileKind(p: string): string | undefined {
  let s: Stats;
  try {
    s = statSync(p);
  } catch {
    return undefined;
  }
  if (s.isFile()) return undefined;
  return s.isDirectory() ? "a directory" : s.isFIFO() ? "a FIFO" : s.isSocket() ? "a socket" : s.isCharacterDevice() || s.isBlockDevice() ? "a device" : "not a regular file";
}

/** One scheme for every etcd endpoint (as etcd clients expect); a bare `host:port` is http. */
function endpointProblem(endpoints: string[]): string | undefined {
  const schemes = endpoints.map((e) => /^([a-z][a-z0-9+.-]*):\/\//i.exec(e)?.[1]?.toLowerCase() ?? "http");
  const odd = endpoints.find((_, i) => schemes[i] !== "http" && schemes[i] !== "https");
  if (odd) return `= ${JSON.stringify(endpoints.join(","))}: ${JSON.stringify(odd)} is not host:port, http://host:port or https://host:port`;
  if (new Set(schemes).size > 1) {
    return `= ${JSON.stringify(endpoints.join(","))}: mixes http and https endpoints (a bare host:port is http); use one scheme for every endpoint`;
  }
  return undefined;
}

/** SASL and TLS settings; the TLS files are read now so that an unreadable one is reported with its key. */
function readSecurity(v: <Id extends OptionId>(id: Id) => OptionValues[Id], problem: (key: string, message: string) => void): KafkaSecurity {
  const mechanism = v("kafka.sasl_mechanism");
  let sasl: KafkaSecurity["sasl"] = null;
  if (mechanism !== undefined && mechanism !== "none") {
    const username = v("kafka.sasl_username");
    const password = v("kafka.sasl_password");
    if (!username) problem("sasl_username", `missing: needed with sasl_mechanism = ${mechanism}`);
    if (!password) problem("sasl_password", `missing: needed with sasl_mechanism = ${mechanism}`);
    sasl = { mechanism, username, password };
  }
  const files = readTlsFiles((key) => v(`kafka.${key}`), problem);
  const tls = v("kafka.tls") === "true" ? files : null;
  if (!tls && (files.ca || files.cert)) problem("tls", "is false, but TLS files are set; set tls = true");
  return { sasl, tls };
}

type TlsFileKey = "tls_ca_file" | "tls_cert_file" | "tls_key_file";

/** The PEM files named by a section's tls_*_file keys, read now so that an unreadable one is reported with its key. */
function readTlsFiles(value: (key: TlsFileKey) => string, problem: (key: string, message: string) => void): { ca?: string; cert?: string; key?: string } {
  const read = (key: TlsFileKey): string | undefined => {
    const file = value(key);
    if (!file) return undefined;
    const r = readOptionFile(file, PEM_FILE_LIMIT);
    if ("problem" in r) {
      problem(key, `= ${JSON.stringify(file)}: ${r.problem}`);
      return undefined;
    }
    return r.data.toString("utf8");
  };
  const files = { ca: read("tls_ca_file"), cert: read("tls_cert_file"), key: read("tls_key_file") };
  // Whether each is set, not whether it was read: an unreadable one is reported above.
  if (Boolean(value("tls_cert_file")) !== Boolean(value("tls_key_file"))) {
    problem(value("tls_cert_file") ? "tls_key_file" : "tls_cert_file", "a client certificate needs both tls_cert_file and tls_key_file");
  }
  return files;
}

/** [etcd] TLS and user: TLS follows the endpoints' scheme (https://), so TLS files with http:// endpoints are a mistake. */
function readEtcdSecurity(
  v: <Id extends OptionId>(id: Id) => OptionValues[Id],
  endpoints: string[],
  problem: (key: string, message: string) => void,
): Pick<EtcdSettings, "tls" | "auth"> {
  const files = readTlsFiles((key) => v(`etcd.${key}`), problem);
  const https = endpoints.some((e) => /^https:\/\//i.test(e));
  if (!https) {
    for (const key of ["tls_ca_file", "tls_cert_file", "tls_key_file"] as const) {
      if (v(`etcd.${key}`)) problem(key, `is set, but [etcd] address has no https:// endpoint; write the endpoints as https://host:port to use TLS`);
    }
  }
  const username = v("etcd.username");
  const password = v("etcd.password");
  if (username && !password) problem("password", "missing: needed with username");
  if (password && !username) problem("username", "missing: needed with password");
  return { tls: https ? files : null, auth: username ? { username, password } : null };
}

/** Reads and parses the INI at `file` (resolved against the working directory). */
export function readIni(file: string, env: Environment = process.env): IniRead {
  const abs = path.resolve(file);
  const r = readOptionFile(abs, INI_FILE_LIMIT);
  if ("problem" in r) throw new ConfigError([{ file: abs, message: `cannot read configuration: ${r.problem}` }]);
  return readIniBytes(r.data, abs, env);
}

export function loadIni(file: string): AgentConfig {
  return readIni(file).config;
}

/** The option table as Markdown, for the README and `--help`. */
export function optionsTable(): string {
  const rows = OPTIONS.map(
    (o) => `| \`[${o.section}]\` | \`${o.key}\` | ${describeType(o.type)} | ${o.default === undefined ? "required" : `\`${o.default}\``} | ${o.description} |`,
  );
  return ["| section | key | type | default | meaning |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}
