// `logagent collect get | put | edit`: an operator reads or changes one host's
// collect list in etcd with the agent's own binary, INI and rules.
//
// Three promises shape this file:
// - Nothing invalid is written: a list is checked with the agent's rules
//   (list-rules.ts, with the INI's allow_paths and the host's identity) before
//   etcd is written, and a refused list leaves the key as it was.
// - Two operators never silently merge: the write is a transaction on the
//   mod revision read (etcd-key.ts). If the key changed meanwhile, nothing is
//   written, the message names the revision that won, and an edit's text is
//   kept in a file so that no work is lost.
// - etcd is reached as the agent reaches it (the INI's TLS and user), and an
//   etcd problem gets check's exit codes (3 no answer, 4 refused).
import { mkdtempSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { EXIT_ETCD_REFUSED, EXIT_ETCD_UNREACHABLE, EXIT_INVALID, shown } from "../check";
import { ConfigError } from "../config/config-error";
import { type HostIdentity, detectHost, expandKey } from "../config/host";
import { type IniRead, readIni } from "../config/load-ini";
import { type KeyRead, readKey, writeKeyIf } from "../discovery/etcd-key";
import { etcdProblem } from "../discovery/etcd-problem";
import type { EtcdConnection } from "../discovery/etcd-client";
import { createEtcdClient } from "../discovery/etcd-source";
import { admitList } from "../discovery/list-rules";
import { type CollectArgs, targetHost } from "./collect-args";
import { editHeader, forEditing, unchanged, withoutBom, withoutHeader } from "./edit-text";
import { editorCommand, runEditor } from "./editor";

export const COLLECT_EXIT = {
  ok: 0,
  failed: 1,
  invalid: EXIT_INVALID,
  unreachable: EXIT_ETCD_UNREACHABLE,
  refused: EXIT_ETCD_REFUSED,
  /** The key was written by someone else since it was read. */
  conflict: 5,
} as const;

/** Ends the command with a message on stderr and an exit code. */
class Stop extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

const say = (line: string) => process.stderr.write(`logagent: ${line}\n`);

/** Everything the actions share: the INI, the host, its key, and the connection (opened on first use). */
class Target {
  private connection: EtcdConnection | null = null;
  readonly key: string;
  readonly hostLabel: string;

  constructor(
    readonly ini: IniRead,
    readonly host: HostIdentity,
  ) {
    this.key = expandKey(this.etcd.collectKeyTemplate, host);
    this.hostLabel = host.hostname === host.ip ? host.hostname : `${host.hostname} (${host.ip})`;
  }

  get etcd() {
    return this.ini.config.etcd!;
  }

  problems(text: string): string[] {
    return admitList(text, this.ini.config, this.host).problems;
  }

  async read(): Promise<KeyRead> {
    return this.call("read", async (client) => readKey(client, this.key, this.etcd.timeoutMs));
  }

  async write(text: string, expected: bigint) {
    return this.call("write", async (client) => writeKeyIf(client, this.key, text, expected, this.etcd.timeoutMs));
  }

  close(): void {
    this.connection?.client.close();
  }

  /** Runs an etcd call; a failure becomes a Stop with check's exit code and message. */
  private async call<T>(op: "read" | "write", fn: (client: EtcdConnection["client"]) => Promise<T>): Promise<T> {
    try {
      this.connection ??= await createEtcdClient(this.etcd);
      return await fn(this.connection.client);
    } catch (err) {
      const problem = this.connection?.describe(err) ?? etcdProblem(err);
      const endpoints = shown(this.ini, "etcd", "address", this.etcd.endpoints.join(", "));
      const what = op === "read" ? `the collect list at ${this.key} was not read` : `nothing was written to ${this.key}`;
      if (problem.kind === "unreachable") throw new Stop(`etcd at ${endpoints} did not answer (${problem.detail}): ${what}.`, COLLECT_EXIT.unreachable);
      const user = this.etcd.auth ? ` as user ${shown(this.ini, "etcd", "username", this.etcd.auth.username)}` : "";
      // etcd-problem speaks for the agent, which only reads.
      const summary =
        problem.kind === "permission" && op === "write"
          ? "etcd refused to let this user write the collect list key: use an INI whose [etcd] user may write it (the agents' own users should only read)"
          : problem.summary;
      throw new Stop(`etcd at ${endpoints}${user}: ${summary} (${problem.detail}). ${what[0]!.toUpperCase()}${what.slice(1)}.`, COLLECT_EXIT.refused);
    }
  }

  /**
   * Writes `text` if the key's mod revision is still `expected` (read by this command, or given by
   * --if-revision); `kept` is where the operator's text was saved, if anywhere.
   */
  async writeChecked(text: string, expected: bigint, how: { given?: boolean; kept?: string } = {}): Promise<void> {
    const { kept } = how;
    const result = await this.write(text, expected);
    if (result.written) {
      say(`wrote etcd key ${this.key} (host ${this.hostLabel}): mod revision ${result.modRevision} (was ${expected === 0n ? "absent" : expected}).`);
      return;
    }

    const now = result.current.modRevision === 0n ? "it is absent now (deleted)" : `mod revision ${result.current.modRevision} now`;
    const then = how.given ? `--if-revision ${expected}` : expected === 0n ? "absent when read" : `mod revision ${expected} when read`;
    // It still counts as a conflict (a script's --if-revision is a promise about the key), but etcd3
    // sends a call again after a lost answer, and then this command's own first write is what won.
    const same = result.current.value === text ? ["The key already holds exactly this list (written by this command's first try, or by someone else)."] : [];
    throw new Stop(
      [
        `etcd key ${this.key} (host ${this.hostLabel}) was changed by someone else ${how.given ? "" : "since it was read "}(${then}; ${now}): nothing was written.`,
        ...same,
        kept
          ? `Your list is kept in ${kept}. Run "logagent collect edit" again to edit the current list, or "logagent collect put ${kept} --if-revision ${result.current.modRevision}" to replace theirs with it.`
          : `Read the current list ("logagent collect get") and put yours again if it should replace it (--if-revision ${result.current.modRevision}).`,
      ].join("\n"),
      COLLECT_EXIT.conflict,
    );
  }
}

export async function runCollect(args: CollectArgs, configPath: string): Promise<number> {
  const ini = readIni(configPath); // a ConfigError is reported by main with exit 2
  const { config } = ini;
  if (!config.etcd) {
    throw new ConfigError([{ file: config.file, message: "has no [etcd] section: the agent collects its [collect.*] sections, so there is no list in etcd to get, put or edit" }]);
  }
  const target = new Target(ini, targetHost(config.etcd.collectKeyTemplate, args, () => detectHost(config.agent.ip, config.agent.hostname), config.file));
  try {
    if (args.action === "get") return await get(target, args.json);
    if (args.action === "put") return await put(target, args.file!, args.ifRevision);
    return await edit(target);
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    for (const line of err.message.split("\n")) say(line);
    return err.code;
  } finally {
    target.close();
  }
}

async function get(target: Target, raw: boolean): Promise<number> {
  const { value, modRevision } = await target.read();
  process.stdout.write(raw ? (value ?? "[]") : forEditing(value));
  if (value === null) say(`etcd key ${target.key} (host ${target.hostLabel}) is absent: the agent collects nothing (mod revision 0).`);
  else say(`etcd key ${target.key} (host ${target.hostLabel}): mod revision ${modRevision}.`);
  const problems = value === null ? [] : target.problems(value);
  for (const p of problems) say(`warning: the agent refuses this list and keeps its previous one: ${p}`);
  return COLLECT_EXIT.ok;
}

/** Problems, one line each, naming the key, where the list came from and the entry. */
function refuse(target: Target, source: string, problems: string[]): Stop {
  const lines = problems.map((p) => `${source} for etcd key ${target.key}: ${p}`);
  lines.push(`the list is invalid (the agent would refuse it): nothing was written.`);
  return new Stop(lines.join("\n"), COLLECT_EXIT.invalid);
}

async function put(target: Target, file: string, ifRevision: bigint | undefined): Promise<number> {
  let text: string;
  try {
    text = withoutBom(file === "-" ? await new Response(Bun.stdin.stream()).text() : readFileSync(file, "utf8"));
  } catch (err) {
    throw new Stop(`cannot read ${file}: ${(err as Error).message}; nothing was written.`, COLLECT_EXIT.invalid);
  }
  const source = file === "-" ? "the list on stdin" : file;
  const problems = target.problems(text);
  if (problems.length) throw refuse(target, source, problems);
  // Without --if-revision, the compare covers the moment between this read and the write.
  const expected = ifRevision ?? (await target.read()).modRevision;
  await target.writeChecked(text, expected, { given: ifRevision !== undefined });
  return COLLECT_EXIT.ok;
}

async function edit(target: Target): Promise<number> {
  const { value, modRevision } = await target.read();
  const opened = forEditing(value);
  const dir = mkdtempSync(path.join(os.tmpdir(), "logagent-edit-"));
  const file = path.join(dir, `collect-${target.host.hostname.replace(/[^\w.-]/g, "_")}.json`);
  const header = { key: target.key, host: target.hostLabel, modRevision };
  writeFileSync(file, editHeader({ ...header, storedProblems: value === null ? [] : target.problems(value) }) + opened);
  let done = false;
  let kept = false;
  /** Leaves only the operator's list in the file, for the messages that name it. */
  const keep = (text: string) => {
    writeFileSync(file, text);
    kept = true;
    return file;
  };
  try {
    const editor = editorCommand();
    for (;;) {
      const code = await runEditor(editor, file);
      if (code !== 0) throw new Stop(`the editor (${editor}) exited with code ${code}: nothing was written; the text is in ${file}.`, COLLECT_EXIT.failed);
      const text = withoutHeader(readFileSync(file, "utf8"));
      if (text.trim() === "") {
        say("the list file was left empty: edit cancelled, nothing was written.");
        done = true;
        return COLLECT_EXIT.ok;
      }
      if (unchanged(text, opened)) {
        say(`no changes: nothing was written to etcd key ${target.key}.`);
        done = true;
        return COLLECT_EXIT.ok;
      }
      const problems = target.problems(text);
      if (problems.length === 0) {
        await target.writeChecked(text, modRevision, { kept: keep(text) });
        done = true;
        return COLLECT_EXIT.ok;
      }
      if (!process.stdin.isTTY) {
        keep(text);
        throw refuse(target, "the edited list", problems);
      }
      // On a terminal the operator fixes it where it is; the problems are shown above the list.
      writeFileSync(file, editHeader({ ...header, problems }) + text);
    }
  } catch (err) {
    // etcd failed while writing: the list must not be lost with it.
    if (err instanceof Stop && kept && !err.message.includes(file)) throw new Stop(`${err.message}\nYour list is kept in ${file}.`, err.code);
    throw err;
  } finally {
    if (done) removeEditFolder(dir, file);
  }
}

/**
 * The edit's folder holds only its file. Removed file then folder, not with a recursive rm, which
 * fails under Wine (EFAULT); a folder left in the temp folder is not worth failing a written edit for.
 */
function removeEditFolder(dir: string, file: string): void {
  try {
    unlinkSync(file);
    rmdirSync(dir);
  } catch {
    // left for the system's temp cleaning
  }
}
