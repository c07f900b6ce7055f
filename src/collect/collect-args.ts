// What follows `logagent collect`, and which host it is about. Pure, so that
// the mapping from --host/--ip to the etcd key is unit-tested.
//
// collect_log_key names a host by its IP (`%s`, `{ip}`), by its name
// (`{hostname}`), or both. An operator names a host once, so --host fills
// every placeholder: `--host 10.0.0.5` for the default `/logagent/%s/...`,
// `--host web1` for `/logagent/{hostname}/...`. A template that uses both
// needs the two values: --host is then the name and --ip the address (and
// --host alone is refused rather than guessed). The host's identity also fills
// `{hostname}`/`{ip}` in topics while the list is validated, as the agent on
// that host would. Without --host it is this machine, as the agent sees it.
import { ConfigError } from "../config/config-error";
import type { HostIdentity } from "../config/host";

export const COLLECT_ACTIONS = ["get", "put", "edit"] as const;
export type CollectAction = (typeof COLLECT_ACTIONS)[number];

export interface CollectArgs {
  action: CollectAction;
  config: string;
  host?: string;
  ip?: string;
  /** get: the stored value as it is, not pretty-printed. */
  json: boolean;
  /** put: the file to write, or "-" for stdin. */
  file?: string;
  /** put: write only if the key's mod revision is still this (0: only if the key is absent). */
  ifRevision?: bigint;
}

export const COLLECT_USAGE = [
  "  logagent collect get  -c <conf.ini> [--host HOST [--ip IP]] [--json]",
  "  logagent collect put  -c <conf.ini> [--host HOST [--ip IP]] [--if-revision N] <FILE | ->",
  "  logagent collect edit -c <conf.ini> [--host HOST [--ip IP]]",
  "      Reads, writes or edits a host's collect list in etcd (the INI's [etcd] collect_log_key; TLS and user as the",
  "      agent's). --host fills the key's %s, {ip} and {hostname}; a key with both an IP and {hostname} needs --ip too;",
  "      without --host it is this machine. get prints the list on stdout and its mod revision on stderr (--json: the",
  "      stored value unchanged). put and edit validate with the agent's rules (the INI's [agent] allow_paths included)",
  "      and write only if nobody changed the key since it was read (put: just before, or --if-revision N, 0 = absent).",
  "      edit opens $VISUAL or $EDITOR (vi; notepad on Windows) and re-opens it on problems (on a terminal).",
  "      Exit codes: 0 done (or nothing to write), 1 failed (an editor error), 2 usage, configuration or an invalid",
  "      list (nothing written), 3 etcd did not answer, 4 etcd refused (TLS, user, permission), 5 the key changed",
  "      since it was read (nothing written; run edit again).",
];

function usageError(message: string): ConfigError {
  return new ConfigError([{ file: "(command line)", message: `${message}; see logagent --help` }]);
}

/** Parses what follows `collect`; a ConfigError (exit 2) says what is wrong. */
export function parseCollectArgs(argv: string[]): CollectArgs {
  const [action, ...rest] = argv;
  if (!action || !(COLLECT_ACTIONS as readonly string[]).includes(action)) {
    throw usageError(`collect needs one of ${COLLECT_ACTIONS.join(", ")}${action ? `, not ${JSON.stringify(action)}` : ""}`);
  }
  const args: Partial<CollectArgs> & { action: CollectAction; json: boolean } = { action: action as CollectAction, json: false };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = () => {
      const v = eq > 0 ? a.slice(eq + 1) : rest[++i];
      if (v === undefined || v === "") throw usageError(`${flag} needs a value`);
      return v;
    };
    if (flag === "-c" || flag === "--config") args.config = value();
    else if (flag === "--host") args.host = hostValue(flag, value());
    else if (flag === "--ip") args.ip = hostValue(flag, value());
    else if (flag === "--json" && eq < 0) args.json = true;
    else if (flag === "--if-revision") {
      const v = value();
      if (!/^\d{1,19}$/.test(v)) throw usageError(`--if-revision ${JSON.stringify(v)}: must be a mod revision (a whole number; 0 for an absent key)`);
      args.ifRevision = BigInt(v);
    } else if ((a === "-" || !a.startsWith("-")) && action === "put" && args.file === undefined) args.file = a;
    else throw usageError(`unknown argument ${JSON.stringify(a)} for collect ${action}`);
  }
  if (!args.config) throw usageError(`collect ${action} needs -c <conf.ini>`);
  if (action === "put" && args.file === undefined) throw usageError("collect put needs the file holding the list, or - for stdin");
  if (args.json && action !== "get") throw usageError("--json only goes with collect get");
  if (args.ifRevision !== undefined && action !== "put") throw usageError("--if-revision only goes with collect put (edit compares with the revision it read)");
  if (args.ip !== undefined && args.host === undefined) throw usageError("--ip goes with --host (the host's name)");
  return args as CollectArgs;
}

/** The value ends up inside an etcd key: no separators, spaces or control characters. */
function hostValue(flag: string, v: string): string {
  if (!/^[\w.:-]+$/.test(v)) throw usageError(`${flag} ${JSON.stringify(v)}: a host name or IP address may only hold letters, digits, '.', ':', '-' and '_'`);
  return v;
}

const IP_PLACEHOLDER = /%s|\{ip\}/;
const NAME_PLACEHOLDER = /\{hostname\}/;

/**
 * The host whose key and topics are meant: this machine (`local`, as detectHost gives it) without
 * --host; else --host for every placeholder, or --host as the name and --ip as the address.
 * Throws a ConfigError naming the template when it needs both and --ip is missing.
 */
export function targetHost(template: string, given: { host?: string; ip?: string }, local: () => HostIdentity, configFile: string): HostIdentity {
  if (given.host === undefined) return local();
  if (given.ip === undefined && IP_PLACEHOLDER.test(template) && NAME_PLACEHOLDER.test(template)) {
    throw new ConfigError([
      {
        file: configFile,
        section: "etcd",
        key: "collect_log_key",
        message: `= ${JSON.stringify(template)} names a host by both its address and its name: give --host NAME --ip ADDRESS`,
      },
    ]);
  }
  return { hostname: given.host, ip: given.ip ?? given.host };
}
