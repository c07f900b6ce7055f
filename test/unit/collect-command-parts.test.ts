// The pure parts of `logagent collect` (src/collect/): its arguments, which host
// and key --host/--ip name, the text an edit opens and reads back, the editor's
// command line, and the list rules it shares with the agent (list-rules.ts).
import { describe, expect, test } from "bun:test";
import { COLLECT_USAGE, parseCollectArgs, targetHost } from "../../src/collect/collect-args";
import { editHeader, forEditing, unchanged, withoutBom, withoutHeader } from "../../src/collect/edit-text";
import { editorArgv, editorCommand } from "../../src/collect/editor";
import { ConfigError } from "../../src/config/config-error";
import { expandKey } from "../../src/config/host";
import { readIniText } from "../../src/config/load-ini";
import { parseCollectList } from "../../src/discovery/collect-entry";
import { admitEntries, admitList } from "../../src/discovery/list-rules";

const usageProblem = (argv: string[]) => {
  try {
    parseCollectArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error(`parseCollectArgs(${JSON.stringify(argv)}) was accepted`);
};

describe("arguments", () => {
  test("each action with its options, in any order, with --flag=value too", () => {
    expect(parseCollectArgs(["get", "-c", "a.ini", "--host", "web1", "--json"])).toEqual({ action: "get", config: "a.ini", host: "web1", json: true });
    expect(parseCollectArgs(["put", "list.json", "--config=a.ini", "--host=10.0.0.5", "--if-revision", "42"])).toEqual({
      action: "put",
      config: "a.ini",
      host: "10.0.0.5",
      file: "list.json",
      ifRevision: 42n,
      json: false,
    });
    expect(parseCollectArgs(["put", "-c", "a.ini", "-", "--if-revision=0"])).toMatchObject({ file: "-", ifRevision: 0n });
    expect(parseCollectArgs(["edit", "-c", "a.ini", "--host", "web1", "--ip", "10.0.0.5"])).toEqual({ action: "edit", config: "a.ini", host: "web1", ip: "10.0.0.5", json: false });
  });

  test.each([
    [[], "collect needs one of get, put, edit"],
    [["list", "-c", "a.ini"], 'collect needs one of get, put, edit, not "list"'],
    [["get"], "collect get needs -c <conf.ini>"],
    [["put", "-c", "a.ini"], "collect put needs the file holding the list, or - for stdin"],
    [["put", "a.json", "b.json", "-c", "a.ini"], 'unknown argument "b.json" for collect put'],
    [["edit", "-c", "a.ini", "--json"], "--json only goes with collect get"],
    [["edit", "-c", "a.ini", "--if-revision", "3"], "--if-revision only goes with collect put"],
    [["put", "f", "-c", "a.ini", "--if-revision", "-1"], '--if-revision "-1": must be a mod revision'],
    [["put", "f", "-c", "a.ini", "--if-revision", "12abc"], '--if-revision "12abc": must be a mod revision'],
    [["get", "-c", "a.ini", "--ip", "10.0.0.5"], "--ip goes with --host"],
    [["get", "-c", "a.ini", "--host"], "--host needs a value"],
    [["get", "-c", "a.ini", "--host", "a/b"], '--host "a/b": a host name or IP address may only hold'],
    [["get", "-c", "a.ini", "--host", "web 1"], '--host "web 1"'],
  ])("%j is refused: %s", (argv, message) => {
    expect(usageProblem(argv as string[])).toContain(message);
  });

  test("the usage lists every exit code, the conflict's included", () => {
    const text = COLLECT_USAGE.join("\n");
    for (const code of ["0 done", "1 failed", "2 usage", "3 etcd did not answer", "4 etcd refused", "5 the key changed"]) expect(text).toContain(code);
  });
});

describe("which host and key --host and --ip name", () => {
  const here = () => ({ hostname: "operator-box", ip: "192.0.2.1" });
  const key = (template: string, given: { host?: string; ip?: string }) => expandKey(template, targetHost(template, given, here, "conf.ini"));

  test("without --host: this machine, as the agent there would name itself", () => {
    expect(key("/logagent/%s/collect_config", {})).toBe("/logagent/192.0.2.1/collect_config");
    expect(key("/logagent/{hostname}/collect_config", {})).toBe("/logagent/operator-box/collect_config");
  });

  test("--host fills the address and the name placeholders, whichever the template uses", () => {
    expect(key("/logagent/%s/collect_config", { host: "10.0.0.5" })).toBe("/logagent/10.0.0.5/collect_config");
    expect(key("/logagent/{ip}/c", { host: "10.0.0.5" })).toBe("/logagent/10.0.0.5/c");
    expect(key("/logagent/{hostname}/c", { host: "web1" })).toBe("/logagent/web1/c");
    expect(targetHost("/logagent/{hostname}/c", { host: "web1" }, here, "conf.ini")).toEqual({ hostname: "web1", ip: "web1" });
  });

  test("a template with both needs --ip as well; --host alone is refused, naming the INI key and template", () => {
    expect(key("/logagent/{hostname}/{ip}", { host: "web1", ip: "10.0.0.5" })).toBe("/logagent/web1/10.0.0.5");
    expect(() => targetHost("/x/{hostname}/%s", { host: "web1" }, here, "conf.ini")).toThrow(
      'conf.ini: [etcd] collect_log_key = "/x/{hostname}/%s" names a host by both its address and its name: give --host NAME --ip ADDRESS',
    );
  });
});

describe("the text an edit opens and reads back", () => {
  test("the list pretty-printed; an absent key as []; a value that is not JSON as it is", () => {
    expect(forEditing('[{"path":"/a","topic":"t"}]')).toBe('[\n  {\n    "path": "/a",\n    "topic": "t"\n  }\n]\n');
    expect(forEditing(null)).toBe("[]\n");
    expect(forEditing("[{oops")).toBe("[{oops\n");
  });

  test("the header names host, key and revision, and after a refusal the problems; reading back drops it", () => {
    const header = editHeader({ key: "/k", host: "web1", modRevision: 7n, problems: ['entry "/etc/shadow": outside', "two\nlines"] });
    expect(header).toContain("// logagent collect edit: the collect list of host web1, etcd key /k (mod revision 7).");
    expect(header).toContain('//   entry "/etc/shadow": outside\n//   two lines\n');
    expect(editHeader({ key: "/k", host: "h", modRevision: 0n })).toContain("(absent until now: the agent collects nothing)");
    expect(editHeader({ key: "/k", host: "h", modRevision: 3n, storedProblems: ["bad"] })).toContain("The list in etcd has these problems");
    const list = '[\n  {"path": "/a", "topic": "t"}\n]\n';
    expect(withoutHeader(header + list)).toBe(list);
    expect(withoutHeader("\uFEFF// a\n\n  // b\r\n" + list)).toBe(list);
    // Only the top: a `//` inside the list stays and makes it invalid JSON, as the agent would see it.
    expect(withoutHeader('[\n// x\n"a"]')).toBe('[\n// x\n"a"]');
    expect(withoutHeader(header)).toBe("");
  });

  test("a byte order mark is dropped; white space around the list is no change", () => {
    expect(withoutBom("\uFEFF[]")).toBe("[]");
    expect(withoutBom("[]")).toBe("[]");
    expect(unchanged("\n[]\n\n", "[]\n")).toBe(true);
    expect(unchanged("[ ]", "[]")).toBe(false);
  });
});

describe("the editor", () => {
  test("$VISUAL, then $EDITOR, then vi (notepad on Windows)", () => {
    expect(editorCommand({ VISUAL: "code --wait", EDITOR: "nano" }, "linux")).toBe("code --wait");
    expect(editorCommand({ VISUAL: " ", EDITOR: "nano" }, "linux")).toBe("nano");
    expect(editorCommand({}, "linux")).toBe("vi");
    expect(editorCommand({}, "win32")).toBe("notepad.exe");
  });

  test("the variable may hold arguments; the file is one quoted argument", () => {
    expect(editorArgv("code --wait", "/tmp/a b/x.json", "linux")).toEqual(["/bin/sh", "-c", 'code --wait "$1"', "code --wait", "/tmp/a b/x.json"]);
    expect(editorArgv("notepad.exe", "C:\\Temp\\x.json", "win32")).toEqual(["cmd.exe", "/d", "/s", "/c", '"notepad.exe "C:\\Temp\\x.json""']);
  });
});

describe("the list rules the agent and collect share (list-rules.ts)", () => {
  const config = readIniText("[kafka]\naddress = k:1\n[etcd]\naddress = e:1\n[agent]\nallow_paths = /var/log/**\n", "conf.ini", {}).config;
  const host = { hostname: "web1", ip: "10.0.0.5" };

  test("a good list passes, confined to allow_paths", () => {
    const r = admitList('[{"path": "/var/log/a.log", "topic": "logs-{hostname}"}]', config, host);
    expect(r.problems).toEqual([]);
    expect(r.resolved.map((e) => [e.entry.path, e.output.topic, e.tail.confine === config.agent.allowPaths])).toEqual([["/var/log/a.log", "logs-web1", true]]);
  });

  test("not JSON, not a list, a malformed entry: only those problems (as etcd-source refuses the value)", () => {
    expect(admitList("[{", config, host).problems[0]).toStartWith("value is not valid JSON");
    expect(admitList('{"path": "/var/log/a"}', config, host).problems[0]).toStartWith("value must be a JSON array of entries");
    expect(admitList('[{"path": "/etc/shadow", "topic": "a b"}]', config, host).problems).toEqual([
      `entry 0 ("/etc/shadow"): field "topic" may only hold letters, digits, '.', '_', '-' and {placeholders}, got "a b"`,
    ]);
  });

  test("outside allow_paths and a bad topic template: each entry named, with its field and the rule", () => {
    const text = '[{"path": "/etc/shadow", "topic": "a"}, {"path": "/var/log/x/../../../etc/x", "topic": "b"}, {"path": "/var/log/b.log", "topic": "t-{nope}"}]';
    const { problems } = admitList(text, config, host);
    expect(problems).toEqual([
      'entry "/var/log/b.log": field "topic": unknown placeholder {nope} (known: hostname, ip)',
      'entry "/etc/shadow": field "path" = "/etc/shadow" is outside [agent] allow_paths ("/var/log/**"): etcd may only name files there',
      'entry "/var/log/x/../../../etc/x": field "path" = "/var/log/x/../../../etc/x" (that is "/etc/x") is outside [agent] allow_paths ("/var/log/**"): etcd may only name files there',
    ]);
    // The agent's entry point gives the same answer for the parsed entries.
    expect(admitEntries(parseCollectList(text).entries, config, host).problems).toEqual(problems);
  });

  test("without allow_paths every absolute path passes; the host's name fills the topic", () => {
    const open = readIniText("[kafka]\naddress = k:1\n[etcd]\naddress = e:1\n", "conf.ini", {}).config;
    const r = admitList('[{"path": "/etc/shadow", "topic": "{hostname}-{ip}"}]', open, host);
    expect(r.problems).toEqual([]);
    expect(r.resolved[0]!.output.topic).toBe("web1-10.0.0.5");
    expect(r.resolved[0]!.tail.confine).toBeUndefined();
  });
});
