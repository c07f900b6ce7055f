// Reads the INI bootstrap file into an AgentConfig, checking it against the
// option table. Every problem is collected and reported at once, each naming
// the file, line, section, key and the bad value.
import { readFileSync } from "node:fs";
import path from "node:path";
import ini from "ini";
import { type CollectEntry, type StartFrom, ENTRY_FIELD_NAMES, validateEntries } from "../discovery/collect-entry";
import type { LogLevel } from "../telemetry/logger";
import type { OutputOptions } from "../kafka/output";
import type { TailOptions } from "../tail/tail-settings";
import { ConfigError, type ConfigProblem } from "./config-error";
import { ENTRY_OPTIONS, OPTIONS, SECTIONS, describeType, findOption, parseOptionValue } from "./options";

export interface KafkaSecurity {
  sasl: { mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; username: string; password: string } | null;
  /** PEM contents, read when the INI is loaded so that a missing file is a configuration error. */
  tls: { ca?: string; cert?: string; key?: string } | null;
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
    lingerMs: number;
    maxMessageBytes: number;
    oversize: "split" | "truncate";
    idempotent: boolean;
    autoCreateTopics: boolean;
    /** Defaults of the options a collect entry may override. */
    output: OutputOptions;
    security: KafkaSecurity;
  };
  /** The [fields] section. */
  fields: Record<string, string>;
  /** Absent when the INI has no [etcd] section: the collect list is then `collect`. */
  etcd?: { endpoints: string[]; timeoutMs: number; collectKeyTemplate: string };
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
    pollIntervalMs: number;
    idlePollMaxMs: number;
    rotateWaitMs: number;
    rescanIntervalMs: number;
    maxOpenFiles: number;
    /** Defaults of the [agent] options a collect entry may override (how its files are read). */
    tail: TailOptions;
    maxBufferBytes: number;
    checkpointIntervalMs: number;
    forgetAfterMs: number;
    shutdownTimeoutMs: number;
  };
  /** Entries from [collect.NAME] sections. */
  collect: CollectEntry[];
}

const COLLECT_PREFIX = "collect.";

/** Where each section and key was written, so problems can name a line. ini.parse keeps no positions. */
function locate(text: string): { sections: Map<string, number>; keys: Map<string, number> } {
  const sections = new Map<string, number>();
  const keys = new Map<string, number>();
  let section = "";
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#")) return;
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      section = header[1]!.trim().replace(/\\\./g, ".");
      if (!sections.has(section)) sections.set(section, i + 1);
      return;
    }
    const key = line.split("=")[0]!.trim().replace(/\[\]$/, "");
    keys.set(`${section}\0${key}`, i + 1);
  });
  return { sections, keys };
}

/** Flattens ini's nested objects (`[collect.web]` becomes collect -> web) back into named sections. */
function flatten(obj: Record<string, unknown>, prefix = ""): { sections: Map<string, Record<string, unknown>>; topLevel: string[] } {
  const sections = new Map<string, Record<string, unknown>>();
  const topLevel: string[] = [];
  const visit = (o: Record<string, unknown>, name: string) => {
    const own: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (v !== null && typeof v === "object" && !Array.isArray(v)) visit(v as Record<string, unknown>, name ? `${name}.${k}` : k);
      else if (name === "") topLevel.push(k);
      else own[k] = v;
    }
    if (name !== "" && (Object.keys(own).length > 0 || !sections.has(name))) sections.set(name, own);
  };
  visit(obj, prefix);
  // A parent like "collect" exists only because of its children; drop it when it holds no keys of its own.
  for (const [name, keys] of [...sections]) {
    if (Object.keys(keys).length === 0 && [...sections.keys()].some((n) => n.startsWith(name + "."))) sections.delete(name);
  }
  return { sections, topLevel };
}

export function parseIni(text: string, file: string): AgentConfig {
  const where = locate(text);
  const problems: ConfigProblem[] = [];
  const at = (section: string, key?: string) =>
    key === undefined ? where.sections.get(section) : (where.keys.get(`${section}\0${key}`) ?? where.sections.get(section));

  let parsed: Record<string, unknown>;
  try {
    parsed = ini.parse(text);
  } catch (err) {
    throw new ConfigError([{ file, message: `cannot parse INI: ${(err as Error).message}` }]);
  }
  const { sections, topLevel } = flatten(parsed);
  for (const key of topLevel) {
    problems.push({ file, line: at("", key), key, message: "key outside any section; put it under [kafka], [etcd] or [agent]" });
  }

  const values = new Map<string, unknown>(); // "section.key" -> typed value
  const collectRaw: unknown[] = [];
  const collectLabels: string[] = [];
  const fields: Record<string, string> = {};
  for (const [section, keys] of sections) {
    if (section.startsWith(COLLECT_PREFIX)) {
      for (const key of Object.keys(keys)) {
        if (!ENTRY_FIELD_NAMES.includes(key)) {
          problems.push({ file, line: at(section, key), section, key, message: `unknown key (known: ${ENTRY_FIELD_NAMES.join(", ")})` });
          delete keys[key];
        }
      }
      collectRaw.push(keys);
      collectLabels.push(`[${section}]`);
      continue;
    }
    if (section === "fields") {
      for (const [key, value] of Object.entries(keys)) fields[key] = String(value);
      continue;
    }
    if (!(section in SECTIONS)) {
      problems.push({ file, line: at(section), section, message: `unknown section (known: ${Object.keys(SECTIONS).join(", ")}, collect.NAME)` });
      continue;
    }
    for (const [key, raw] of Object.entries(keys)) {
      const spec = findOption(section, key);
      if (!spec) {
        const known = OPTIONS.filter((o) => o.section === section).map((o) => o.key);
        problems.push({ file, line: at(section, key), section, key, message: `unknown key (known: ${known.join(", ")})` });
        continue;
      }
      const { value, problem } = parseOptionValue(spec, raw);
      if (problem) problems.push({ file, line: at(section, key), section, key, message: `${problem}` });
      else values.set(`${section}.${key}`, value);
    }
  }

  // Defaults and required keys. [etcd] keys are only required when the section is there.
  for (const spec of OPTIONS) {
    const id = `${spec.section}.${spec.key}`;
    if (values.has(id) || where.keys.has(`${spec.section}\0${spec.key}`)) continue;
    if (spec.default !== undefined) {
      values.set(id, parseOptionValue(spec, spec.default).value);
    } else if (spec.section !== "etcd" || sections.has("etcd")) {
      problems.push({ file, line: at(spec.section), section: spec.section, key: spec.key, message: `missing required key (${spec.description})` });
    }
  }

  const collect = validateEntries(collectRaw, collectLabels);
  for (const message of collect.problems) {
    const section = /^\[(.*?)\]/.exec(message)?.[1];
    const key = /field "([\w.]+)"/.exec(message)?.[1];
    problems.push({ file, line: section ? at(section, key) : undefined, message });
  }
  if (!sections.has("etcd") && collectRaw.length === 0 && problems.length === 0) {
    problems.push({ file, message: "nothing to collect: add an [etcd] section or at least one [collect.NAME] section with path and topic" });
  }
  const v = <T>(id: string) => values.get(id) as T;
  const security = readSecurity(v, (key, message) =>
    problems.push({ file, line: at("kafka", key), section: "kafka", key, message }),
  );
  if (problems.length > 0) throw new ConfigError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));

  const entryDefaults = (section: string) => Object.fromEntries(ENTRY_OPTIONS.filter((o) => o.section === section).map((o) => [o.key, v(`${section}.${o.key}`)]));
  const output = entryDefaults("kafka") as unknown as OutputOptions;
  return {
    file,
    kafka: {
      brokers: v("kafka.address"),
      chanMaxSize: v("kafka.chan_max_size"),
      clientId: v("kafka.client_id"),
      batchMaxMessages: v("kafka.batch_max_messages"),
      batchMaxBytes: v("kafka.batch_max_bytes"),
      lingerMs: v("kafka.linger_ms"),
      maxMessageBytes: v("kafka.max_message_bytes"),
      oversize: v("kafka.oversize"),
      idempotent: v("kafka.idempotent") === "true",
      autoCreateTopics: v("kafka.auto_create_topics") === "true",
      output,
      security,
    },
    fields,
    etcd: sections.has("etcd")
      ? { endpoints: v("etcd.address"), timeoutMs: v<number>("etcd.timeout") * 1000, collectKeyTemplate: v("etcd.collect_log_key") }
      : undefined,
    agent: {
      stateDir: path.resolve(path.dirname(file), v<string>("agent.state_dir")),
      logLevel: v("agent.log_level"),
      logFile: v<string>("agent.log_file") ? path.resolve(path.dirname(file), v<string>("agent.log_file")) : "",
      logMaxBytes: v("agent.log_max_bytes"),
      logKeep: v("agent.log_keep"),
      logFormat: v("agent.log_format"),
      from: v("agent.from"),
      ip: v("agent.ip"),
      pollIntervalMs: v("agent.poll_interval_ms"),
      idlePollMaxMs: v("agent.idle_poll_max_ms"),
      rotateWaitMs: v("agent.rotate_wait_ms"),
      rescanIntervalMs: v("agent.rescan_interval_ms"),
      maxOpenFiles: v("agent.max_open_files"),
      tail: entryDefaults("agent") as unknown as TailOptions,
      maxBufferBytes: v("agent.max_buffer_bytes"),
      checkpointIntervalMs: v("agent.checkpoint_interval_ms"),
      forgetAfterMs: v<number>("agent.forget_after_s") * 1000,
      shutdownTimeoutMs: v("agent.shutdown_timeout_ms"),
    },
    collect: collect.entries,
  };
}

/** SASL and TLS settings; the TLS files are read now so that an unreadable one is reported with its key. */
function readSecurity(v: <T>(id: string) => T, problem: (key: string, message: string) => void): KafkaSecurity {
  const mechanism = v<string>("kafka.sasl_mechanism");
  let sasl: KafkaSecurity["sasl"] = null;
  if (mechanism !== "none") {
    const username = v<string>("kafka.sasl_username");
    const password = v<string>("kafka.sasl_password");
    if (!username) problem("sasl_username", `missing: needed with sasl_mechanism = ${mechanism}`);
    if (!password) problem("sasl_password", `missing: needed with sasl_mechanism = ${mechanism}`);
    sasl = { mechanism: mechanism as NonNullable<KafkaSecurity["sasl"]>["mechanism"], username, password };
  }
  const read = (key: string): string | undefined => {
    const file = v<string>(`kafka.${key}`);
    if (!file) return undefined;
    try {
      return readFileSync(file, "utf8");
    } catch (err) {
      problem(key, `= ${JSON.stringify(file)}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return undefined;
    }
  };
  const files = { ca: read("tls_ca_file"), cert: read("tls_cert_file"), key: read("tls_key_file") };
  if (Boolean(files.cert) !== Boolean(files.key)) problem(files.cert ? "tls_key_file" : "tls_cert_file", "a client certificate needs both tls_cert_file and tls_key_file");
  const tls = v<string>("kafka.tls") === "true" ? files : null;
  if (!tls && (files.ca || files.cert)) problem("tls", "is false, but TLS files are set; set tls = true");
  return { sasl, tls };
}

/** Reads and parses the INI at `file` (resolved against the working directory). */
export function loadIni(file: string): AgentConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found" : code === "EACCES" ? "permission denied" : (err as Error).message;
    throw new ConfigError([{ file: abs, message: `cannot read configuration: ${why}` }]);
  }
  return parseIni(text, abs);
}

/** The option table as Markdown, for the README and `--help`. */
export function optionsTable(): string {
  const rows = OPTIONS.map(
    (o) => `| \`[${o.section}]\` | \`${o.key}\` | ${describeType(o.type)} | ${o.default === undefined ? "required" : `\`${o.default}\``} | ${o.description} |`,
  );
  return ["| section | key | type | default | meaning |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}
