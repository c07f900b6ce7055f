// Issue 11, part 3: a record Kafka refuses for good (a topic the agent's user may not write, a
// record a topic's policy refuses) goes to `[kafka] dead_letter_topic` with headers saying where it
// was going and why, and its entry goes on; without a dead-letter topic the entry waits, said once;
// a dead-letter topic that is refused too makes the lines wait, never drops them.
//
// The broker runs StandardAuthorizer (scripts/services.sh): topics without ACLs are open to all, and
// the tests' admin client (PLAINTEXT, User:ANONYMOUS) is a super user. The agent connects over
// SASL as User:logagent, whom a test denies writing to one topic.
import { afterAll, expect, test } from "bun:test";
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from "kafkajs";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { appendNumbered, numbered } from "../support/files";
import { client, createTopics, type Received, TopicReader } from "../support/kafka";

const running: AgentProcess[] = [];
const readers: TopicReader[] = [];
afterAll(async () => {
  for (const a of running) if (a.running) await a.stop();
  for (const r of readers) await r.stop();
});

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: scripts/services.sh starts the broker's SASL listener`);
  return v;
}

type Rule = { topic: string; operation: "WRITE" | "DESCRIBE" | "ALL"; permission: "ALLOW" | "DENY" };

/** ACLs for the agent's SASL user, through the super user. */
async function acls(action: "create" | "delete", rules: Rule[]): Promise<void> {
  const admin = client().admin();
  await admin.connect();
  try {
    const entries = rules.map((r) => ({
      resourceType: AclResourceTypes.TOPIC,
      resourceName: r.topic,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      principal: `User:${env("KAFKA_SASL_PLAIN_USER")}`,
      host: "*",
      operation: AclOperationTypes[r.operation],
      permissionType: AclPermissionTypes[r.permission],
    }));
    if (action === "create") await admin.createAcls({ acl: entries });
    else await admin.deleteAcls({ filters: entries });
  } finally {
    await admin.disconnect();
  }
  await Bun.sleep(1000); // the controller's ACLs reach the broker's authorizer a moment later
}

/** The agent may see `topic` but not write to it. */
const denyWrite = (topic: string): Rule[] => [
  { topic, operation: "WRITE", permission: "DENY" },
  { topic, operation: "DESCRIBE", permission: "ALLOW" },
];

const section = (name: string, file: string, topic: string, more = "") => `\n[collect.${name}]\npath = ${file}\ntopic = ${topic}\n${more}`;

/** An agent on the SASL listener as the limited user, following `files` files. */
async function agent(sections: (dir: string) => string, files: number, kafkaExtra = ""): Promise<AgentProcess & { box: string }> {
  const box = sandbox();
  const sasl = `sasl_mechanism = plain\nsasl_username = ${env("KAFKA_SASL_PLAIN_USER")}\nsasl_password = ${env("KAFKA_SASL_PLAIN_PASSWORD")}`;
  const a = new AgentProcess(box.dir, box.bin, iniFor({ kafka: env("KAFKA_SASL_BROKERS"), kafkaExtra: [sasl, kafkaExtra].filter(Boolean).join("\n"), extra: "from = beginning\n" + sections(box.dir) }));
  running.push(a);
  await a.waitForTailers(files);
  return Object.assign(a, { box: box.dir });
}

async function reader(topics: string[]): Promise<TopicReader> {
  const r = await TopicReader.start(topics);
  readers.push(r);
  return r;
}

const sorted = (xs: string[]) => [...xs].sort();
const exactlyOnce = () => `delivery = exactly_once\noffsets_topic = ${unique("dl-offsets")}`;
const count = (log: string, pattern: RegExp) => log.match(new RegExp(pattern.source, "g"))?.length ?? 0;

/** Byte offset of each numbered line `prefix-i` in a file of them, from 0. */
function offsets(prefix: string, to: number): Map<string, string> {
  const out = new Map<string, string>();
  let at = 0;
  for (const line of numbered(prefix, 0, to)) {
    out.set(line, String(at));
    at += line.length + 1;
  }
  return out;
}

/** A topic the agent may not write (3 partitions, its entry round robin), another it may, a dead-letter topic, a reader of all three, and an agent. */
async function deniedWithDeadLetters(prefix: string, kafkaExtra: string) {
  const [denied, fine, dlq] = [unique(`${prefix}-denied`), unique(`${prefix}-fine`), unique(`${prefix}-dlq`)];
  await createTopics([denied], 3);
  await createTopics([fine, dlq]);
  await acls("create", denyWrite(denied));
  const r = await reader([fine, dlq, denied]);
  const a = await agent((d) => section("d", `${d}/d.log`, denied, "partitioner = round_robin") + section("f", `${d}/f.log`, fine), 2, [`dead_letter_topic = ${dlq}`, kafkaExtra].filter(Boolean).join("\n"));
  return { denied, fine, dlq, r, a };
}

function expectDeadLetterHeaders(letters: Received[], denied: string, file: string, where: Map<string, string>): void {
  for (const m of letters) {
    expect(m.headers["logagent.topic"]).toBe(denied);
    expect(m.headers["logagent.path"]).toBe(file);
    expect(m.headers["logagent.offset"]).toBe(where.get(m.value)!);
    expect(m.headers["logagent.error"]).toStartWith("TOPIC_AUTHORIZATION_FAILED: ");
    expect(m.headers.host).toBeTruthy();
  }
}

test("with a dead-letter topic, the lines of an entry whose topic the agent may not write land there with their headers, and another entry ships unaffected", async () => {
  const { denied, fine, dlq, r, a } = await deniedWithDeadLetters("dl", "");
  appendNumbered(`${a.box}/d.log`, "d", 0, 300);
  appendNumbered(`${a.box}/f.log`, "f", 0, 300);
  expect(await r.waitFor(fine, 300, 60_000)).toEqual(numbered("f", 0, 300));
  const letters = await r.waitFor(dlq, 300, 60_000);
  expect(sorted(letters)).toEqual(sorted(numbered("d", 0, 300)));
  expectDeadLetterHeaders(r.received.get(dlq)!, denied, `${a.box}/d.log`, offsets("d", 300));
  // The entry goes on: later lines follow the same way, and the topic itself never got one.
  appendNumbered(`${a.box}/d.log`, "d", 300, 400);
  expect(sorted(await r.waitFor(dlq, 400, 60_000))).toEqual(sorted(numbered("d", 0, 400)));
  expect(r.values(denied)).toEqual([]);
  expect(count(a.log, /WARN .*Kafka refuses records of this topic for good; they go to the dead-letter topic/)).toBe(1);
  expect(a.log).not.toMatch(/ ERROR /);
  // Positions passed the dead letters: a restart reads nothing again.
  expect(await a.stop()).toBe(0);
  const again = new AgentProcess(a.dir, a.bin, await Bun.file(`${a.dir}/conf.ini`).text());
  running.push(again);
  await again.waitForLog(/Following file.*d\.log/);
  await Bun.sleep(3000); // well past linger_ms and a refusal's round trip: a line read again would be in the dead-letter topic by now
  expect(r.values(dlq).length).toBe(400);
  expect(r.values(fine).length).toBe(300);
}, 180_000);

// With the idempotent producer, a batch taken out of a partition's sequence makes the later ones numbered again.
test.each([["plain", ""], ["idempotent", "idempotent = true"]])("a compacted topic refuses the lines without a key: those alone go to the dead-letter topic, the keyed lines of the same batches to the topic (%s producer)", async (_, producer) => {
  const compacted = unique("dl-compacted");
  const dlq = unique("dl-dlq");
  await createTopics([compacted], 2, { "cleanup.policy": "compact" });
  await createTopics([dlq]);
  const r = await reader([compacted, dlq]);
  const a = await agent((d) => section("c", `${d}/c.log`, compacted, "key = pattern\nkey_pattern = ^id=(\\d+)"), 1, `dead_letter_topic = ${dlq}\n${producer}`);
  const lines = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? `id=${i} keyed` : `nokey-${i}`));
  await Bun.write(`${a.box}/c.log`, lines.join("\n") + "\n");
  const keyed = lines.filter((l) => l.startsWith("id="));
  const unkeyed = lines.filter((l) => !l.startsWith("id="));
  expect(sorted(await r.waitFor(compacted, 100, 60_000))).toEqual(sorted(keyed));
  expect(sorted(await r.waitFor(dlq, 100, 60_000))).toEqual(sorted(unkeyed));
  const errors = new Set(r.received.get(dlq)!.map((m: Received) => m.headers["logagent.error"]!.split(":")[0]));
  expect([...errors]).toEqual(["INVALID_RECORD"]);
  expect(r.received.get(dlq)!.every((m) => m.headers["logagent.topic"] === compacted)).toBe(true);
}, 120_000);

test("without a dead-letter topic an entry whose topic the agent may not write waits, says so once, and the other entries go on; it ships once the ACL is removed", async () => {
  const denied = unique("wait-denied");
  const fine = unique("wait-fine");
  await createTopics([denied, fine]);
  await acls("create", denyWrite(denied));
  const r = await reader([fine, denied]);
  const a = await agent((d) => section("d", `${d}/d.log`, denied) + section("f", `${d}/f.log`, fine), 2);
  appendNumbered(`${a.box}/d.log`, "d", 0, 100);
  appendNumbered(`${a.box}/f.log`, "f", 0, 100);
  const said = await a.waitForLog(new RegExp(`ERROR .*Kafka refuses this topic.*topic=${denied}.*`), 30_000);
  expect(said).toContain(`cause="TOPIC_AUTHORIZATION_FAILED: `);
  expect(said).toContain("lines=100");
  expect(said).toContain("dead_letter_topic");
  // 20 s of waiting: retries every few seconds (backoff up to 10 s), said once; the other entry goes on.
  appendNumbered(`${a.box}/f.log`, "f", 100, 200);
  expect(await r.waitFor(fine, 200, 30_000)).toEqual(numbered("f", 0, 200));
  await Bun.sleep(20_000);
  expect(count(a.log, /Kafka refuses this topic/)).toBe(1);
  expect(r.values(denied)).toEqual([]);
  await acls("delete", denyWrite(denied));
  expect(await r.waitFor(denied, 100, 60_000)).toEqual(numbered("d", 0, 100));
  await a.waitForLog(new RegExp(`INFO .*Kafka accepts this topic again.*topic=${denied}.*waited_s=`));
}, 180_000);

test.each([["at_least_once", ""], ["exactly_once", "exactly_once"]])("a dead-letter topic the agent may not write either: the refused lines wait, none dropped (also across a restart), and go there once its ACL is removed (%s)", async (_, mode) => {
  const denied = unique("dl2-denied");
  const dlq = unique("dl2-dlq");
  await createTopics([denied, dlq]);
  // The refused topic hides even its metadata (no DESCRIBE): its lines go to the dead-letter topic whole.
  await acls("create", [{ topic: denied, operation: "ALL", permission: "DENY" }, ...denyWrite(dlq)]);
  const r = await reader([dlq, denied]);
  const a = await agent((d) => section("d", `${d}/d.log`, denied), 1, `dead_letter_topic = ${dlq}${mode ? `\n${exactlyOnce()}` : ""}`);
  appendNumbered(`${a.box}/d.log`, "d", 0, 100);
  const said = await a.waitForLog(new RegExp(`ERROR .*The dead-letter topic refuses records too.*topic=${denied}.*`), 30_000);
  expect(said).toContain(`dead_letter_topic=${dlq}`);
  expect(said).toContain("TOPIC_AUTHORIZATION_FAILED");
  // 15 s: the dead-letter sender retries (backoff 0.2 s doubling) several times meanwhile; nothing gets through, nothing is given up.
  await Bun.sleep(15_000);
  expect(r.values(dlq)).toEqual([]);
  expect(count(a.log, /The dead-letter topic refuses records too/)).toBe(1);
  // Their positions stay before them: an agent restarted meanwhile sends them again.
  expect(await a.stop()).toBe(0);
  const b = new AgentProcess(a.dir, a.bin, await Bun.file(`${a.dir}/conf.ini`).text());
  running.push(b);
  await b.waitForLog(new RegExp(`The dead-letter topic refuses records too.*topic=${denied}`), 30_000);
  await acls("delete", denyWrite(dlq));
  // The sender's backoff is at most 30 s.
  const got = await r.waitFor(dlq, 100, 60_000);
  if (got.length !== 100) console.log(b.log.split("\n").filter((l) => !/DEBUG/.test(l) || /dead-letter/.test(l)).join("\n"));
  expect(sorted(got)).toEqual(sorted(numbered("d", 0, 100)));
  expect(r.values(denied)).toEqual([]);
  await b.waitForLog(/INFO .*The dead-letter topic accepts records again/);
  // A duplicate would be a dead letter sent (or committed) twice: waited 5 s more.
  await Bun.sleep(5000);
  expect(r.values(dlq).length).toBe(100);
  await acls("delete", [{ topic: denied, operation: "ALL", permission: "DENY" }]);
}, 180_000);

// delivery = exactly_once: a refused topic's lines are left out of the transactions (their positions stay
// before them) rather than holding up every entry's commits; dead letters go in the transaction.
const http = "\n[http]\naddress = 127.0.0.1:0\n";

async function metricsUrl(a: AgentProcess): Promise<string> {
  return /url=(http:\/\/127\.0\.0\.1:\d+)/.exec(await a.waitForLog(/Serving \/metrics.*url=http:\/\/\S+/))![1]!;
}

test("exactly_once without a dead-letter topic: an entry whose topic the agent may not write waits (said once, counted in /metrics) while another entry's lines are committed; once the ACL is removed its lines arrive exactly once", async () => {
  const denied = unique("eos-denied");
  const fine = unique("eos-fine");
  await createTopics([denied, fine]);
  await acls("create", denyWrite(denied));
  const r = await reader([fine, denied]); // read_committed
  const a = await agent((d) => section("d", `${d}/d.log`, denied) + section("f", `${d}/f.log`, fine) + http, 2, exactlyOnce());
  const url = await metricsUrl(a);
  appendNumbered(`${a.box}/d.log`, "d", 0, 100);
  appendNumbered(`${a.box}/f.log`, "f", 0, 100);
  const said = await a.waitForLog(new RegExp(`ERROR .*Kafka refuses this topic.*topic=${denied}.*`), 30_000);
  expect(said).toContain(`cause="TOPIC_AUTHORIZATION_FAILED: `);
  // The other entry's lines are committed well before the 30 s a commit waits for a broker away.
  expect(await r.waitFor(fine, 100, 10_000)).toEqual(numbered("f", 0, 100));
  appendNumbered(`${a.box}/f.log`, "f", 100, 200);
  expect(await r.waitFor(fine, 200, 10_000)).toEqual(numbered("f", 0, 200));
  // 35 s of waiting, longer than the 30 s after which a commit waiting for its lines would be aborted: no
  // transaction is aborted, the wait is said once, and its lines are counted.
  await Bun.sleep(35_000);
  expect(a.log).not.toMatch(/A transaction failed/);
  expect(count(a.log, /Kafka refuses this topic/)).toBe(1);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toContain(`logagent_waiting_lines{topic="${denied}"} 100`);
  expect(r.values(denied)).toEqual([]);
  await acls("delete", denyWrite(denied));
  expect(await r.waitFor(denied, 100, 60_000)).toEqual(numbered("d", 0, 100));
  await a.waitForLog(new RegExp(`INFO .*Kafka accepts this topic again.*topic=${denied}.*waited_s=`));
  // A duplicate would be a line committed twice: waited 5 transaction_max_ms (1 s) more.
  await Bun.sleep(5000);
  expect(r.values(denied)).toEqual(numbered("d", 0, 100));
  expect(r.values(fine)).toEqual(numbered("f", 0, 200));
  expect(a.log).not.toMatch(/A transaction failed|ProducerFenced/);
  // The positions committed cover every line: a restart sends none again.
  expect(await a.stop()).toBe(0);
  const again = new AgentProcess(a.dir, a.bin, await Bun.file(`${a.dir}/conf.ini`).text());
  running.push(again);
  await again.waitForLog(/Following file.*d\.log/);
  await Bun.sleep(3000); // well past transaction_max_ms: a line sent again would be committed by now
  expect(r.values(denied).length).toBe(100);
  expect(r.values(fine).length).toBe(200);
}, 240_000);

test("exactly_once with a dead-letter topic: the lines of an entry whose topic the agent may not write land there, in the transactions, with their headers; another entry ships, and a read_committed consumer sees each line once", async () => {
  const { denied, fine, dlq, r, a } = await deniedWithDeadLetters("eos-dl", exactlyOnce()); // read_committed
  appendNumbered(`${a.box}/d.log`, "d", 0, 300);
  appendNumbered(`${a.box}/f.log`, "f", 0, 300);
  expect(await r.waitFor(fine, 300, 60_000)).toEqual(numbered("f", 0, 300));
  expect(sorted(await r.waitFor(dlq, 300, 60_000))).toEqual(sorted(numbered("d", 0, 300)));
  expectDeadLetterHeaders(r.received.get(dlq)!, denied, `${a.box}/d.log`, offsets("d", 300));
  appendNumbered(`${a.box}/d.log`, "d", 300, 400);
  appendNumbered(`${a.box}/f.log`, "f", 300, 400);
  expect(sorted(await r.waitFor(dlq, 400, 60_000))).toEqual(sorted(numbered("d", 0, 400)));
  expect(await r.waitFor(fine, 400, 60_000)).toEqual(numbered("f", 0, 400));
  // A duplicate would be a line committed (or dead-lettered) twice: waited 5 transaction_max_ms (1 s) more.
  await Bun.sleep(5000);
  expect(r.values(dlq).length).toBe(400);
  expect(r.values(fine)).toEqual(numbered("f", 0, 400));
  expect(r.values(denied)).toEqual([]);
  expect(count(a.log, /WARN .*Kafka refuses records of this topic for good; they go to the dead-letter topic/)).toBe(1);
  expect(a.log).not.toMatch(/ ERROR |A transaction failed/);
  // The dead letters were written in the transactions: the partition also holds their commit markers.
  const admin = client().admin();
  await admin.connect();
  const [end] = await admin.fetchTopicOffsets(dlq);
  await admin.disconnect();
  expect(Number(end!.high)).toBeGreaterThan(400);
  // Positions were committed past the dead letters: a restart sends nothing again.
  expect(await a.stop()).toBe(0);
  const again = new AgentProcess(a.dir, a.bin, await Bun.file(`${a.dir}/conf.ini`).text());
  running.push(again);
  await again.waitForLog(/Following file.*d\.log/);
  await Bun.sleep(3000);
  expect(r.values(dlq).length).toBe(400);
  expect(r.values(fine).length).toBe(400);
}, 180_000);

test("exactly_once with a dead-letter topic, kill -9 5 times while lines are written: read_committed sees every dead letter and every line of the other entry exactly once", async () => {
  const { fine, dlq, r, a } = await deniedWithDeadLetters("eos-kill", exactlyOnce());
  const conf = await Bun.file(`${a.dir}/conf.ini`).text();
  let now: AgentProcess = a;
  let written = 0;
  for (let round = 0; round < 5; round++) {
    appendNumbered(`${a.box}/d.log`, "d", written, written + 2000);
    appendNumbered(`${a.box}/f.log`, "f", written, written + 2000);
    written += 2000;
    // Most kills land while the round's dead letters are being written in an open transaction.
    await Bun.sleep(200 + Math.random() * 800);
    await now.stop("SIGKILL");
    now = new AgentProcess(a.dir, a.bin, conf);
    running.push(now);
    await now.waitForLog(/Following file.*f\.log/, 30_000);
  }
  const letters = await r.waitFor(dlq, written, 120_000);
  expect(await r.waitFor(fine, written, 60_000)).toEqual(numbered("f", 0, written));
  // A duplicate would be a line or a dead letter committed twice: waited 5 transaction_max_ms (1 s) more.
  await Bun.sleep(5000);
  const raw = await TopicReader.start([dlq], undefined, true);
  const rawLetters = await raw.waitFor(dlq, written, 30_000, 1000);
  await raw.stop();
  console.log(`exactly_once, dead letters, kill -9 x5: ${written} + ${written} lines written; ${r.values(dlq).length} dead letters and ${r.values(fine).length} lines read_committed; the dead-letter topic also holds ${rawLetters.length - written} aborted copies (read_uncommitted)`);
  expect(sorted(letters)).toEqual(sorted(numbered("d", 0, written)));
  expect(r.values(dlq).length).toBe(written);
  expect(r.values(fine)).toEqual(numbered("f", 0, written));
  expect(rawLetters.length).toBeGreaterThan(written); // the kills did leave dead letters in transactions never committed
  expect(now.log).not.toMatch(/ProducerFenced|Another agent took over/);
}, 240_000);
