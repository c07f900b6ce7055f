// conf.ini.example, generated from the option table (src/config/options.ts) so that it can never
// drift from the code: every section and option, commented out, with its description, type and
// default. A line "; text" explains; a line ";key = value" is a setting to uncomment (the php.ini
// and systemd convention), which test/unit/conf-example.test.ts relies on to check that the
// example, uncommented, is a configuration the agent accepts.
import { OPTIONS, SECTIONS, describeType, type OptionSpec } from "../../src/config/options";

export type Family = "linux" | "darwin" | "windows";

/** Values for the required keys, which have no default to show. */
const REQUIRED_EXAMPLES: Record<string, string> = {
  "kafka.address": "kafka1.example.com:9092,kafka2.example.com:9092",
  "etcd.address": "etcd1.example.com:2379,etcd2.example.com:2379",
};

/** Sections written commented out, with why; the others' headers are live. */
const COMMENTED_SECTIONS: Record<string, { why: string; example?: string }> = {
  fields: { why: "Uncomment [fields] to add static fields.", example: "env = production" },
  etcd: { why: "Uncomment [etcd] and its address to take the collect list from etcd; without it, list files in [collect.NAME] sections (at the end)." },
};

const COLLECT_EXAMPLES: Record<Family, { name: string; path: string; topic: string }> = {
  linux: { name: "nginx", path: "/var/log/nginx/access.log", topic: "nginx_access" },
  darwin: { name: "app", path: "/usr/local/var/log/app/*.log", topic: "app_log" },
  windows: { name: "iis", path: "C:\\inetpub\\logs\\LogFiles\\W3SVC1\\*.log", topic: "iis_log" },
};

/** `text` as "; " comment lines of at most `width` characters. */
function comment(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = ";";
  for (const word of text.replaceAll("`", "").split(/\s+/).filter(Boolean)) {
    if (line.length + 1 + word.length > width && line !== ";") {
      lines.push(line);
      line = ";";
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

function option(o: OptionSpec): string[] {
  const value = o.default ?? REQUIRED_EXAMPLES[`${o.section}.${o.key}`];
  if (value === undefined) throw new Error(`[${o.section}] ${o.key} is required and has no example value in scripts/release/conf-example.ts`);
  const facts = [describeType(o.type), o.default === undefined ? "required" : `default ${o.default === "" ? "empty" : o.default}`];
  if (o.entry) facts.push("can be set per collect entry");
  return [...comment(o.description), ...comment(`(${facts.join("; ")})`), `;${o.key} = ${value}`.trimEnd(), ""];
}

/** The example configuration for one platform family (its collect example uses that platform's paths). */
export function confExample(version: string, family: Family): string {
  const out = [
    ...comment(
      `logagent ${version}: example configuration, listing every option. Copy it to conf.ini and set at least [kafka] address, ` +
        "and where the list of files to collect comes from: [etcd], or [collect.NAME] sections. Options are shown commented out " +
        "with their defaults: a line starting with '; ' explains, a line starting with ';key' is a setting to uncomment. " +
        "Check the result with: logagent check -c conf.ini",
    ),
    ";",
    ...comment(
      "Values may name environment variables: ${NAME}, or ${NAME:-default} when NAME may be unset. Keep secrets out of this " +
        "file that way, e.g. sasl_password = ${KAFKA_PASSWORD}" +
        (family === "linux" ? " (the systemd service reads NAME=value lines from logagent.env beside conf.ini)." : "."),
    ),
    "",
  ];
  for (const [section, about] of Object.entries(SECTIONS)) {
    const commented = COMMENTED_SECTIONS[section];
    out.push(...comment(about), ...(commented ? comment(commented.why) : []), `${commented ? ";" : ""}[${section}]`);
    if (commented?.example) out.push(`;${commented.example}`);
    out.push("");
    for (const o of OPTIONS.filter((o) => o.section === section)) out.push(...option(o));
  }
  const c = COLLECT_EXAMPLES[family];
  out.push(
    ...comment(
      "[collect.NAME]: a file, or a glob of files, to collect when there is no [etcd] section; one section per path, each with " +
        "its own NAME. Keys: path (absolute), topic, from (end or beginning) and any option above marked 'can be set per collect entry'.",
    ),
    `;[collect.${c.name}]`,
    `;path = ${c.path}`,
    `;topic = ${c.topic}`,
    ";from = end",
    "",
  );
  return out.join(family === "windows" ? "\r\n" : "\n");
}
