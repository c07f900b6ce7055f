// The Windows service, end to end under Wine's own service manager (issue "Windows servers"):
// logagent.exe installs itself with `service install`, Wine's sc.exe and net.exe drive it, lines
// go to the real Kafka broker, and what the admin would look at (service state, exit codes, the
// log file, saved positions, the registry) is checked. The prefix is private to this file (see
// support/wine-services.ts): an installed auto-start service starts whenever its prefix boots.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";
import { winPath } from "../support/wine";
import { WineServices } from "../support/wine-services";

const box = sandbox("windows-x64");
let wine: WineServices;

beforeAll(() => {
  wine = WineServices.create(1000);
}, 120_000);

afterAll(() => wine?.destroy());

interface Setup {
  name: string;
  topic: string;
  conf: string;
  log: string;
  logFile: string;
  stateDir: string;
}

/** An INI collecting one file into a new topic, logging to a file in the sandbox. */
async function setup(label: string, extra = "", brokers = services.kafka): Promise<Setup> {
  const name = unique(`la-${label}`).slice(0, 40);
  const topic = unique(`winsvc-${label}`);
  const dir = path.join(box.dir, name);
  const s: Setup = { name, topic, conf: path.join(dir, "conf.ini"), log: path.join(dir, "app.log"), logFile: path.join(dir, "logs", "agent.log"), stateDir: path.join(dir, "state") };
  Bun.spawnSync(["mkdir", "-p", dir]);
  writeFileSync(s.log, "");
  writeFileSync(
    s.conf,
    [
      "[kafka]",
      `address = ${brokers}`,
      "[agent]",
      `state_dir = ${winPath(s.stateDir)}`,
      `log_file = ${winPath(s.logFile)}`,
      "checkpoint_interval_ms = 500",
      extra,
      `[collect.app]`,
      `path = ${winPath(s.log)}`,
      `topic = ${topic}`,
      "from = beginning",
      "",
    ].join("\n"),
  );
  await createTopics([topic]);
  return s;
}

function logagent(args: string[]) {
  return wine.run([box.bin, ...args]);
}

function install(s: Setup): void {
  expect(logagent(["service", "install", "--name", s.name, "-c", s.conf]).code).toBe(0);
}

/** `sc start`, then RUNNING within 5 s (the bound); returns how long it took. */
async function start(s: Setup): Promise<number> {
  expect(wine.run(["sc", "start", s.name]).code).toBe(0);
  const running = await wine.waitForState(s.name, "RUNNING", 5000);
  expect(running.state?.stateName).toBe("RUNNING");
  return running.ms;
}

/** Stopped (if it runs) and uninstalled, whatever the test did. */
async function remove(s: Setup): Promise<void> {
  wine.run(["net", "stop", s.name]);
  await wine.waitForState(s.name, "STOPPED", 30_000);
  logagent(["service", "uninstall", "--name", s.name]);
}

function savedOffset(stateDir: string): number {
  const saved = JSON.parse(readFileSync(path.join(stateDir, "checkpoints.json"), "utf8")) as { files: { offset: number }[] };
  return saved.files[0]?.offset ?? -1;
}

const SERVICES_KEY = "HKLM\\System\\CurrentControlSet\\Services";
const EVENTLOG_KEY = "HKLM\\System\\CurrentControlSet\\Services\\EventLog\\Application";

describe("logagent.exe as a Windows service under Wine's service manager", () => {
  test("service install: automatic delayed start, restart on any failure, quoted paths, an Event Log source; a second install is refused", async () => {
    const s = await setup("install");
    const r = logagent(["service", "install", "--name", s.name, "-c", s.conf]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Installed. Start it now with: logagent service start --name ${s.name}`);
    const key = wine.registry(`${SERVICES_KEY}\\${s.name}`)!;
    expect(key.get("Start")).toBe("0x2"); // SERVICE_AUTO_START
    expect(key.get("DelayedAutostart")).toBe("0x1");
    expect(key.get("FailureActionsOnNonCrashFailures")).toBe("0x1");
    expect(key.get("Type")).toBe("0x10"); // own process
    expect(key.get("ImagePath")).toBe(`"${winPath(box.bin)}" -c "${winPath(s.conf)}"`);
    const source = wine.registry(`${EVENTLOG_KEY}\\${s.name}`)!;
    expect(source.get("EventMessageFile")).toBe("%SystemRoot%\\System32\\EventCreate.exe");
    const status = logagent(["service", "status", "--name", s.name]);
    expect(status.code).toBe(3); // installed, not running
    expect(status.stdout).toContain("start type: automatic (delayed start)");

    const again = logagent(["service", "install", "--name", s.name, "-c", s.conf]);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain(`a service named ${s.name} is already installed`);

    const removed = logagent(["service", "uninstall", "--name", s.name]);
    expect(removed.code).toBe(0);
    expect(wine.query(s.name)).toBeNull();
    expect(wine.registry(`${EVENTLOG_KEY}\\${s.name}`)).toBeNull();
    expect(logagent(["service", "status", "--name", s.name]).code).toBe(4);
  }, 120_000);

  test("sc start reaches RUNNING within 5 s, lines reach Kafka, net stop saves positions at the file's end, a restart re-sends nothing", async () => {
    const s = await setup("cycle");
    appendNumbered(s.log, "svc", 0, 2000);
    const reader = await TopicReader.start([s.topic]);
    try {
      install(s);
      console.log(`sc start -> RUNNING in ${await start(s)} ms`);
      expect(await reader.waitFor(s.topic, 2000, 30_000, 0)).toEqual(numbered("svc", 0, 2000));
      appendNumbered(s.log, "svc", 2000, 5000);
      expect(await reader.waitFor(s.topic, 5000, 30_000, 0)).toEqual(numbered("svc", 0, 5000));

      wine.run(["net", "stop", s.name]);
      const stopped = await wine.waitForState(s.name, "STOPPED", 30_000);
      expect(stopped.state).toMatchObject({ stateName: "STOPPED", win32Exit: 0, serviceExit: 0 });
      const log = readFileSync(s.logFile, "utf8");
      expect(log).toContain("Service stop requested; stopping. control=STOP");
      expect(log).toContain("Stopped; every line read was acknowledged by Kafka and positions are saved.");
      expect(savedOffset(s.stateDir)).toBe(statSync(s.log).size);

      // Restarted: nothing again. The wait covers several checkpoint intervals and polls.
      await start(s);
      appendNumbered(s.log, "svc", 5000, 5100);
      expect(await reader.waitFor(s.topic, 5100, 30_000, 3000)).toEqual(numbered("svc", 0, 5100));
    } finally {
      await remove(s);
      await reader.stop();
    }
  }, 180_000);

  test("stopped while a writer appends 5,000 lines/s, then started again: every line once, in order", async () => {
    const s = await setup("busy");
    const reader = await TopicReader.start([s.topic]);
    // Another process, so that the test's own (blocking) sc and net calls do not pause it: 50 lines
    // every 10 ms, 5,000 lines/s, until the stop file appears; it prints how many it wrote.
    const stopFile = `${s.log}.stop`;
    const writer = Bun.spawn([process.execPath, "-e", `
      const { appendFileSync, existsSync } = require("node:fs");
      let n = 0;
      const t = setInterval(() => {
        if (existsSync(${JSON.stringify(stopFile)})) { clearInterval(t); console.log(n); return; }
        let text = ""; for (let i = 0; i < 50; i++) text += "busy-" + (n++) + "\\n";
        appendFileSync(${JSON.stringify(s.log)}, text);
      }, 10);`], { stdout: "pipe" });
    const stopWriter = async () => {
      writeFileSync(stopFile, "");
      return Number((await new Response(writer.stdout).text()).trim());
    };
    let written = -1;
    try {
      install(s);
      await start(s);
      await Bun.sleep(2000);
      wine.run(["net", "stop", s.name]);
      const stopped = await wine.waitForState(s.name, "STOPPED", 30_000);
      expect(stopped.state).toMatchObject({ stateName: "STOPPED", win32Exit: 0, serviceExit: 0 });
      expect(readFileSync(s.logFile, "utf8")).toContain("every line read was acknowledged by Kafka");
      await Bun.sleep(1000); // the writer goes on while the service is stopped
      await start(s);
      await Bun.sleep(2000);
      written = await stopWriter();
      const got = await reader.waitFor(s.topic, written, 60_000, 3000);
      const want = numbered("busy", 0, written);
      const seen = new Set(got);
      const dup = got.length - seen.size;
      const lost = want.filter((l) => !seen.has(l)).length;
      console.log(`busy stop: ${written} lines written at 5,000/s, ${got.length} received, ${lost} lost, ${dup} repeated`);
      expect(lost).toBe(0);
      expect(dup).toBe(0);
      expect(got).toEqual(want);
    } finally {
      if (written < 0) await stopWriter();
      await remove(s);
      await reader.stop();
    }
  }, 180_000);

  test("a stop while lines wait for Kafka: STOP_PENDING with a rising checkpoint and a wait hint, then STOPPED after shutdown_timeout_ms, exit code 0", async () => {
    // Nothing listens on port 1: the lines read stay in flight, so the stop waits its whole budget.
    const s = await setup("pending", "shutdown_timeout_ms = 4000", "127.0.0.1:1");
    appendNumbered(s.log, "pending", 0, 100);
    try {
      install(s);
      await start(s);
      await Bun.sleep(1000); // read, not sent
      wine.run(["net", "stop", s.name]);
      const seen: { checkpoint: number; hint: number }[] = [];
      const began = Date.now();
      let q = wine.query(s.name);
      while (q?.stateName === "STOP_PENDING" && Date.now() - began < 15_000) {
        seen.push({ checkpoint: q.checkpoint, hint: q.waitHint });
        await Bun.sleep(300);
        q = wine.query(s.name);
      }
      const stoppedAfter = Date.now() - began;
      expect(q).toMatchObject({ stateName: "STOPPED", win32Exit: 0, serviceExit: 0 });
      console.log(`STOP_PENDING for ${stoppedAfter} ms: ${JSON.stringify(seen)}`);
      // The budget is 4 s: pending for most of it, the checkpoint rising, the hint covering what is left.
      expect(stoppedAfter).toBeGreaterThan(3000);
      expect(new Set(seen.map((x) => x.checkpoint)).size).toBeGreaterThanOrEqual(3);
      expect(seen.every((x, i) => i === 0 || x.checkpoint >= seen[i - 1]!.checkpoint)).toBe(true);
      expect(Math.min(...seen.map((x) => x.hint))).toBeGreaterThan(0);
      expect(readFileSync(s.logFile, "utf8")).toContain("Stopped before Kafka acknowledged every line read; they are sent again on the next start.");
    } finally {
      await remove(s);
    }
  }, 120_000);

  test("a configuration error under the SCM: STOPPED with service exit code 2, the reason in the default log file under ProgramData", async () => {
    const s = await setup("badconf");
    install(s);
    try {
      // Broken after install (install checks the INI): an unknown key on line 3.
      writeFileSync(s.conf, `[kafka]\naddress = ${services.kafka}\nbogus_key = 1\n[collect.a]\npath = ${winPath(s.log)}\ntopic = ${s.topic}\n`);
      const started = logagent(["service", "start", "--name", s.name]);
      expect(started.code).toBe(1);
      expect(started.stderr).toContain("stopped right after starting: exit code 2 (configuration error)");
      const q = wine.query(s.name);
      expect(q).toMatchObject({ stateName: "STOPPED", win32Exit: 1066, serviceExit: 2 }); // ERROR_SERVICE_SPECIFIC_ERROR
      // Without a readable INI there is no log_file: the log goes to %ProgramData%\logagent\logs\NAME.log.
      const logFile = findFile(path.join(wine.prefix, "drive_c"), path.join("logagent", "logs", `${s.name}.log`));
      expect(logFile).not.toBeNull();
      const log = readFileSync(logFile!, "utf8");
      expect(log).toContain("Cannot start: the configuration is invalid.");
      expect(log).toContain(`conf.ini:3: [kafka] bogus_key: unknown key`);
    } finally {
      await remove(s);
    }
  }, 120_000);

  test("start= auto: the service starts when Wine's service manager boots, and ships lines", async () => {
    const s = await setup("boot");
    appendNumbered(s.log, "boot", 0, 300);
    const reader = await TopicReader.start([s.topic]);
    try {
      install(s);
      expect(wine.query(s.name)?.stateName).toBe("STOPPED");
      wine.reboot(); // delayed auto start: AutoStartDelay is 1 s in this prefix
      const running = await wine.waitForState(s.name, "RUNNING", 30_000);
      expect(running.state?.stateName).toBe("RUNNING");
      expect(await reader.waitFor(s.topic, 300, 30_000, 0)).toEqual(numbered("boot", 0, 300));
    } finally {
      await remove(s);
      await reader.stop();
    }
  }, 180_000);
});

/** Where %ProgramData% is for a service: C:\ProgramData on Windows; Wine gives LocalSystem C:\users\Public. */
function findFile(driveC: string, suffix: string): string | null {
  const roots = [path.join(driveC, "ProgramData"), ...readdirSync(path.join(driveC, "users")).map((u) => path.join(driveC, "users", u))];
  for (const root of roots) if (existsSync(path.join(root, suffix))) return path.join(root, suffix);
  return null;
}
