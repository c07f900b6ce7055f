// Ctrl+C at the console of logagent.exe under Wine: the console event Windows sends (not a
// Unix signal) stops the agent the graceful way: reading stops, lines in flight are
// acknowledged, positions are saved, exit code 0. Wine delivers console events only inside a
// pty, so the launcher (support/ctrl-launcher.c) runs under script(1).
import { expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sandbox } from "../support/agent-process";
import { ROOT, services, unique } from "../support/env";
import { appendNumbered, numbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";
import { WINE_RUN, winPath } from "../support/wine";

const box = sandbox("windows-x64");

test("Ctrl+C in the agent's console: lines in flight are acknowledged, positions saved at the file's end, exit code 0", async () => {
  const launcher = path.join(box.dir, "ctrl-launcher.exe");
  const cc = Bun.spawnSync(["x86_64-w64-mingw32-gcc", "-municode", "-O2", "-o", launcher, path.join(ROOT, "test/support/ctrl-launcher.c")], { stderr: "pipe" });
  expect(cc.stderr.toString()).toBe("");
  const topic = unique("winctrl");
  const dir = path.join(box.dir, "ctrlc");
  mkdirSync(dir);
  const log = path.join(dir, "app.log");
  const agentLog = path.join(dir, "agent.log");
  const conf = path.join(dir, "conf.ini");
  writeFileSync(log, "");
  appendNumbered(log, "ctrlc", 0, 3000);
  writeFileSync(conf, `[kafka]\naddress = ${services.kafka}\n[agent]\nstate_dir = ${winPath(dir)}\\state\nlog_file = ${winPath(agentLog)}\n[collect.a]\npath = ${winPath(log)}\ntopic = ${topic}\nfrom = beginning\n`);
  await createTopics([topic]);
  const reader = await TopicReader.start([topic]);
  try {
    // 6 s: the agent has started and read the file by then (it reads 3,000 lines in well under a second).
    const command = [WINE_RUN, launcher, "6000", winPath(box.bin), "-c", winPath(conf)].map((a) => `'${a}'`).join(" ");
    const r = Bun.spawnSync(["script", "-qfec", command, "/dev/null"], { stdout: "pipe", stderr: "pipe" });
    const screen = r.stdout.toString().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");
    expect(screen).toContain("ctrl-c-sent=1");
    expect(screen).toContain("child-exit=0");
    const agent = readFileSync(agentLog, "utf8");
    expect(agent).toContain("Stop requested; shutting down. signal=SIGINT");
    expect(agent).toContain("Stopped; every line read was acknowledged by Kafka and positions are saved.");
    const saved = JSON.parse(readFileSync(path.join(dir, "state", "checkpoints.json"), "utf8")) as { files: { offset: number }[] };
    expect(saved.files[0]?.offset).toBe(statSync(log).size);
    expect(await reader.waitFor(topic, 3000, 30_000, 0)).toEqual(numbered("ctrlc", 0, 3000));
  } finally {
    await reader.stop();
  }
}, 120_000);
