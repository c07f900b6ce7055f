// Issue 5, test 1: scripted tailing scenarios, the things real servers do to
// log files: plain writes, rename + create, copytruncate, `> file`, delete,
// delete + create, a symlink switched to a new target, and an inode reused by
// a new file. Each scenario has its own collect entry, topic and folder; all
// run side by side under ONE agent (startup is paid once, and the agent must
// keep them apart). Each asserts that every line arrives exactly once and in
// the order it was written.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, mkdirSync, openSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { literal, numberedText } from "../support/files";
import { createWithInode, inodeOf } from "../support/inode";
import { TopicReader, createTopics } from "../support/kafka";
import { LogWriter } from "../support/log-writer";
import { compare } from "../support/scenario";

const box = sandbox();
let agent: AgentProcess;
let reader: TopicReader;

/** What a scenario's script reports once it has written everything. */
interface Written {
  /** Lines written, `${prefix}-0` .. `${prefix}-${count - 1}`, in this order. */
  count: number;
  /** Extra facts for the test to assert. */
  facts?: Record<string, unknown>;
}

interface ScenarioSpec {
  /** Collect section name, folder name and line prefix. */
  name: string;
  /** The entry's path, in the scenario's folder. */
  file: string;
  /** Creates the file before the agent starts; its first line, `${name}-0`, tells that the agent follows it. */
  prepare: (dir: string) => void;
  /** Runs once the first line has arrived; writes the rest. */
  script: (s: Running) => Promise<Written>;
}

interface Running {
  dir: string;
  file: string;
  prefix: string;
  topic: string;
  /** Waits until the topic holds `count` lines: the agent has read everything written so far. */
  shipped: (count: number) => Promise<void>;
  /** Resolves once every other scenario's script has finished. */
  othersDone: () => Promise<void>;
}

// Polling backs off on quiet files down to idle_poll_max_ms; keep it short so that the pauses
// around copytruncate (see below) are short too.
const IDLE_POLL_MAX_MS = 200;

const scenarios: ScenarioSpec[] = [
  {
    name: "write",
    file: "app.log",
    prepare: (dir) => writeFileSync(path.join(dir, "app.log"), "write-0\n"),
    script: async (s) => {
      const w = new LogWriter(s.file, s.prefix);
      w.next = 1;
      await w.writeFor(1999, 100, 50);
      // A line written in two pieces is sent once, whole, when its newline arrives.
      const fd = openSync(s.file, "a");
      writeFileSync(fd, `${s.prefix}-2000 written in`);
      await Bun.sleep(500);
      writeFileSync(fd, " two pieces\n");
      closeSync(fd);
      w.next = 2001;
      await w.writeFor(499, 100, 50);
      w.close();
      return { count: 2500 };
    },
  },
  {
    name: "rename",
    file: "app.log",
    prepare: (dir) => writeFileSync(path.join(dir, "app.log"), "rename-0\n"),
    script: async (s) => {
      // logrotate's create mode, twice: rename, the program writes a few more lines through its old
      // handle, then reopens the path and so creates the new file.
      const w = new LogWriter(s.file, s.prefix);
      w.next = 1;
      for (let round = 0; round < 3; round++) {
        await w.writeFor(round === 0 ? 999 : 1000, 100, 50);
        if (round === 2) break;
        w.rotateRename();
        await Bun.sleep(150);
        w.write(20);
        w.reopen();
      }
      w.close();
      return { count: w.next };
    },
  },
  {
    name: "copytruncate",
    file: "app.log",
    prepare: (dir) => writeFileSync(path.join(dir, "app.log"), "copytruncate-0\n"),
    script: async (s) => {
      // copytruncate has a race no reader can close: lines written after the reader's last read and
      // before the truncate exist only in the copy (which is not collected), and a file that regrows
      // past the old offset before the reader looks again hides the truncation. As the issue says,
      // document the race and keep its window as small as polling allows: the writer pauses around
      // the rotation until the agent has read everything (its lines are in Kafka), and after the
      // truncate for a few idle polls, so that the agent sees the file shrink.
      const w = new LogWriter(s.file, s.prefix);
      w.next = 1;
      for (let round = 0; round < 3; round++) {
        await w.writeFor(round === 0 ? 999 : 1000, 100, 50);
        if (round === 2) break;
        await s.shipped(w.next);
        w.copyTruncate(`${s.file}.${round + 1}`);
        await Bun.sleep(3 * IDLE_POLL_MAX_MS);
      }
      w.close();
      return { count: w.next };
    },
  },
  {
    name: "truncate",
    file: "app.log",
    prepare: (dir) => writeFileSync(path.join(dir, "app.log"), "truncate-0\n"),
    script: async (s) => {
      // `> app.log` from a shell while the program keeps appending: the same file, emptied in place.
      const w = new LogWriter(s.file, s.prefix);
      w.next = 1;
      for (let round = 0; round < 3; round++) {
        await w.writeFor(round === 0 ? 499 : 500, 100, 50);
        if (round === 2) break;
        await s.shipped(w.next); // the same race as copytruncate: everything before `>` was read
        closeSync(openSync(s.file, "w"));
        await Bun.sleep(3 * IDLE_POLL_MAX_MS);
      }
      w.close();
      return { count: w.next };
    },
  },
  {
    name: "delete",
    file: "app.log",
    prepare: (dir) => writeFileSync(path.join(dir, "app.log"), "delete-0\n"),
    script: async (s) => {
      // The file is deleted while the program still writes through its handle for a moment.
      const w = new LogWriter(s.file, s.prefix);
      w.next = 1;
      await w.writeFor(499, 100, 50);
      w.unlink();
      await Bun.sleep(200);
      w.write(50);
      w.close();
      return { count: w.next };
    },
  },
  {
    name: "recreate",
    file: "app.log",
    prepare: (dir) => writeFileSync(path.join(dir, "app.log"), "recreate-0\n"),
    script: async (s) => {
      // Deleted, then a new file under the same name: both are read, the old one to its end first.
      const w = new LogWriter(s.file, s.prefix);
      w.next = 1;
      await w.writeFor(499, 100, 50);
      w.unlink();
      w.close();
      await Bun.sleep(300);
      w.reopen();
      await w.writeFor(500, 100, 50);
      w.close();
      return { count: w.next, facts: { files: w.segments.length } };
    },
  },
  {
    name: "symlink",
    file: "current.log",
    prepare: (dir) => {
      writeFileSync(path.join(dir, "target-1.log"), "symlink-0\n");
      symlinkSync(path.join(dir, "target-1.log"), path.join(dir, "current.log"));
    },
    script: async (s) => {
      // The entry names a link; deployments switch it to a new target atomically (new link, rename
      // over the old one). The program writes a few more lines to the old target before it moves on.
      let w = new LogWriter(path.join(s.dir, "target-1.log"), s.prefix);
      w.next = 1;
      await w.writeFor(499, 100, 50);
      for (const target of ["target-2.log", "target-3.log"]) {
        const tmp = path.join(s.dir, ".current.tmp");
        symlinkSync(path.join(s.dir, target), tmp);
        writeFileSync(path.join(s.dir, target), "");
        renameSync(tmp, s.file);
        await Bun.sleep(150);
        w.write(20);
        w.close();
        const next = w.next;
        w = new LogWriter(path.join(s.dir, target), s.prefix);
        w.next = next;
        await w.writeFor(480, 100, 50);
      }
      w.close();
      return { count: w.next };
    },
  },
  {
    name: "inode-reuse",
    file: "app.log",
    prepare: (dir) => writeFileSync(path.join(dir, "app.log"), "inode-reuse-0\n"),
    script: async (s) => {
      // The file is deleted; once the agent has drained and closed it, its inode is free, and the
      // next file created gets it. The new file is longer than the old one: an agent that took it for
      // the old file (same device and inode) would resume at the old offset and lose its first lines.
      const w = new LogWriter(s.file, s.prefix);
      w.next = 1;
      await w.writeFor(299, 100, 50);
      w.close();
      await s.shipped(w.next);
      // The freed inode goes to whichever file is created next nearby: wait for the other scenarios
      // to stop creating files.
      await s.othersDone();
      const oldIno = inodeOf(s.file);
      w.unlink();
      await createWithInode(s.file, oldIno, numberedText(s.prefix, w.next, w.next + 1000));
      const newIno = inodeOf(s.file);
      return { count: w.next + 1000, facts: { oldIno, newIno } };
    },
  },
];

const topics = new Map(scenarios.map((sc) => [sc.name, unique(`tail-${sc.name}`)]));
const dirOf = (name: string) => path.join(box.dir, name);
const results = new Map<string, Promise<{ ok: Written } | { error: unknown }>>();

beforeAll(async () => {
  await createTopics([...topics.values()]);
  reader = await TopicReader.start([...topics.values()]);
  for (const sc of scenarios) {
    mkdirSync(dirOf(sc.name));
    sc.prepare(dirOf(sc.name));
  }
  const sections = scenarios.map((sc) => `\n[collect.${sc.name}]\npath = ${path.join(dirOf(sc.name), sc.file)}\ntopic = ${topics.get(sc.name)}`);
  agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, extra: [`from = beginning`, `idle_poll_max_ms = ${IDLE_POLL_MAX_MS}`, ...sections].join("\n") }));
  // Every scenario's script starts as soon as its first line is in Kafka; they run side by side and
  // each test below awaits its own.
  for (const sc of scenarios) {
    const topic = topics.get(sc.name)!;
    const running: Running = {
      dir: dirOf(sc.name),
      file: path.join(dirOf(sc.name), sc.file),
      prefix: sc.name,
      topic,
      shipped: async (count) => {
        await reader.waitFor(topic, count, 30_000, 0);
        if (reader.values(topic).length < count) throw new Error(`${sc.name}: only ${reader.values(topic).length} of ${count} lines reached Kafka`);
      },
      othersDone: async () => {
        await Promise.all([...results].filter(([name]) => name !== sc.name).map(([, r]) => r));
      },
    };
    results.set(
      sc.name,
      running
        .shipped(1)
        .then(() => sc.script(running))
        .then(
          (ok) => ({ ok }),
          (error) => ({ error }),
        ),
    );
  }
}, 60_000);

afterAll(async () => {
  await agent?.stop();
  await reader?.stop();
}, 60_000);

/** The agent's log lines about one scenario's folder, for failure messages. */
function logAbout(name: string): string {
  const dir = literal(dirOf(name));
  return agent.log
    .split("\n")
    .filter((l) => new RegExp(dir).test(l))
    .join("\n");
}

async function expectExactlyOnceInOrder(name: string): Promise<Written> {
  const r = await results.get(name)!;
  if ("error" in r) throw new Error(`${name}: the scenario's script failed: ${r.error}\nagent log about it:\n${logAbout(name)}`);
  const topic = topics.get(name)!;
  const got = await reader.waitFor(topic, r.ok.count, 30_000, 1500);
  const c = compare(got, { [name]: r.ok.count });
  if (c.missing || c.duplicates || c.outOfOrder || c.received !== c.expected) {
    console.log(`${name}: ${JSON.stringify(c)}\nagent log about it:\n${logAbout(name)}`);
  }
  expect(c).toMatchObject({ expected: r.ok.count, received: r.ok.count, missing: 0, duplicates: 0, outOfOrder: 0 });
  return r.ok;
}

describe("tailing scenarios, all under one agent", () => {
  test("write: lines appended in bursts, and a line written in two pieces, arrive once, in order, whole", async () => {
    await expectExactlyOnceInOrder("write");
    expect(reader.values(topics.get("write")!)).toContain("write-2000 written in two pieces");
  });

  test("rename + create (logrotate create mode), twice, with lines written to the old handle after the rename", async () => {
    await expectExactlyOnceInOrder("rename");
  });

  test("copytruncate, twice, with the writer paused around the rotation: no line lost or repeated", async () => {
    await expectExactlyOnceInOrder("copytruncate");
  });

  test("`> file` (truncated in place while the writer appends), twice: the new content is read from 0", async () => {
    await expectExactlyOnceInOrder("truncate");
  });

  test("delete while the writer still writes through its handle: drained, then closed", async () => {
    await expectExactlyOnceInOrder("delete");
    const deleted = `${path.join(dirOf("delete"), "app.log")} (deleted)`;
    // rotate_wait_ms (1 s in iniFor) after its last growth, the agent lets go of the deleted file.
    const deadline = Date.now() + 10_000;
    while (agent.openPaths().includes(deleted) && Date.now() < deadline) await Bun.sleep(100);
    expect(agent.openPaths()).not.toContain(deleted);
  });

  test("delete, then a new file under the same name: the old file to its end, then the new one from its start", async () => {
    const r = await expectExactlyOnceInOrder("recreate");
    expect(r.facts).toEqual({ files: 2 });
  });

  test("a symlinked path switched to a new target, twice: each target read once, the old one finished first", async () => {
    await expectExactlyOnceInOrder("symlink");
    expect(existsSync(path.join(dirOf("symlink"), "target-3.log"))).toBe(true);
  });

  test("inode reuse: a new, longer file on a deleted file's inode is read from its start", async () => {
    const r = await expectExactlyOnceInOrder("inode-reuse");
    expect(r.facts!.newIno).toBe(r.facts!.oldIno);
  });
});
