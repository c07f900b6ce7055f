// Issue 13, part 5: /metrics, /healthz and /status of the release binary against a real broker.
// The scrape passes Prometheus's own checker, and its counters agree with what Kafka holds and what
// was written; /healthz follows a real broker outage; a taken port is a configuration error.
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { appendNumbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";
import { etcdClient, putList } from "../support/etcd";
import { checkMetrics, sample } from "../support/scrape";
import { compare } from "../support/scenario";
import { kafkaService } from "../support/services";

const running: AgentProcess[] = [];
const readers: TopicReader[] = [];
afterAll(async () => {
  for (const a of running) if (a.running) await a.stop();
  for (const r of readers) await r.stop();
});

/** An agent following one file into a fresh topic (created first unless `create` is false), serving HTTP on a free loopback port. */
async function agentWithHttp(httpExtra = "", { create = true, kafkaExtra = "" } = {}): Promise<{ agent: AgentProcess; url: string; file: string; topic: string; reader: TopicReader | null }> {
  const { dir, bin } = sandbox();
  const topic = unique("metrics");
  const file = path.join(dir, "app.log");
  writeFileSync(file, "");
  if (create) await createTopics([topic]);
  const reader = create ? await TopicReader.start([topic]) : null;
  if (reader) readers.push(reader);
  const extra = `from = beginning\n\n[collect.app]\npath = ${file}\ntopic = ${topic}\n\n[http]\naddress = 127.0.0.1:0\n${httpExtra}`;
  const agent = new AgentProcess(dir, bin, iniFor({ kafka: services.kafka, extra, kafkaExtra }));
  running.push(agent);
  const url = /url=(http:\/\/127\.0\.0\.1:\d+)/.exec(await agent.waitForLog(/Serving \/metrics, \/healthz and \/status\..*url=http:\/\/\S+/))![1]!;
  await agent.waitForLog(/Following file/);
  return { agent, url, file, topic, reader };
}

async function get(url: string): Promise<{ status: number; body: string; type: string | null }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.text(), type: r.headers.get("content-type") };
}

type Answer = Awaited<ReturnType<typeof get>>;

/** Polls `url` until `ok(answer)` or the deadline; returns the last answer either way (the caller asserts it). */
async function pollUntil(url: string, ok: (a: Answer) => boolean, timeoutMs: number): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  let a = await get(url);
  while (!ok(a) && Date.now() < deadline) {
    await Bun.sleep(200);
    a = await get(url);
  }
  return a;
}

test("/metrics scraped during a run passes promtool; lines read = lines written, lines sent = what Kafka holds", async () => {
  const { agent, url, file, topic, reader: r } = await agentWithHttp();
  const reader = r!;
  const labels = { entry: file, topic };
  const LINES = 30_000;
  const PAD = " " + "y".repeat(60);
  // Scraped while lines are being written and sent, not only at rest.
  let during = "";
  for (let i = 0; i < LINES; i += 3000) {
    appendNumbered(file, "m", i, i + 3000, PAD);
    await Bun.sleep(100);
    if (i === 15_000) during = (await get(`${url}/metrics`)).body;
  }
  const checked = checkMetrics(during);
  expect(checked.output).toBe("");
  expect(checked.code).toBe(0);
  expect(sample(during, "logagent_lines_read_total", labels)).toBeGreaterThan(0);

  const got = await reader.waitFor(topic, LINES, 60_000);
  const c = compare(got, { m: LINES });
  expect([c.missing, c.duplicates]).toEqual([0, 0]);
  // An acknowledgement reaches the agent about when the consumer sees the lines: poll until counted.
  const last = await pollUntil(`${url}/metrics`, (a) => sample(a.body, "logagent_lines_sent_total", labels) === got.length, 20_000);
  const text = last.body;
  expect(last.type).toBe("text/plain; version=0.0.4; charset=utf-8");
  expect(sample(text, "logagent_lines_sent_total", labels)).toBe(got.length);
  expect(sample(text, "logagent_bytes_sent_total", labels)).toBe(got.reduce((n, v) => n + Buffer.byteLength(v), 0));
  expect(sample(text, "logagent_lines_read_total", labels)).toBe(LINES);
  expect(sample(text, "logagent_lines_filtered_total", labels)).toBe(0);
  expect(sample(text, "logagent_queue_lines")).toBe(0);
  expect(sample(text, "logagent_open_files")).toBe(1);
  expect(sample(text, "logagent_file_lag_bytes", { entry: file, file, topic })).toBe(0);
  const requests = sample(text, "logagent_kafka_requests_total", { topic })!;
  expect(requests).toBeGreaterThan(0);
  expect(sample(text, "logagent_kafka_request_seconds_count", { topic })).toBe(requests);
  expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(10 << 20);
  expect(text).toMatch(/^logagent_build_info\{version="[^"]+",commit="[0-9a-f]+(-dirty)?",platform="linux-x64"\} 1$/m);
  const final = checkMetrics(text);
  expect(final.output).toBe("");
  expect(final.code).toBe(0);

  const status = await get(`${url}/status`);
  expect(status.type).toBe("application/json");
  // What /status holds is the status builder's (the same JSON as the etcd status); here only that it is
  // JSON about this agent and its file.
  expect(JSON.parse(status.body)).toMatchObject({ pid: agent.pid });
  expect(status.body).toContain(JSON.stringify(file));
  expect(await get(`${url}/healthz`)).toMatchObject({ status: 200, body: "ok\n" });
  expect((await get(`${url}/nothing-here`)).status).toBe(404);
  expect(await agent.stop()).toBe(0);
}, 180_000);

test("/healthz turns 503 with the reason while the broker is stopped, and 200 once it is back", async () => {
  const { agent, url, file, topic, reader: r } = await agentWithHttp("unhealthy_after_s = 3\n");
  const reader = r!;
  appendNumbered(file, "h", 0, 100);
  await reader.waitFor(topic, 100, 30_000, 0);
  expect(await get(`${url}/healthz`)).toMatchObject({ status: 200, body: "ok\n" });
  await reader.stop();
  readers.splice(readers.indexOf(reader), 1);

  kafkaService("stop-kafka");
  let during: Answer;
  try {
    // Lines wait, so requests fail: the outage is noticed, and after 3 s it is unhealthy.
    appendNumbered(file, "h", 100, 200);
    during = await pollUntil(`${url}/healthz`, (a) => a.status === 503, 60_000);
  } finally {
    kafkaService("start-kafka");
  }
  console.log(`/healthz while the broker was stopped: ${during.status} ${during.body.trim()}`);
  expect(during.status).toBe(503);
  expect(during.body).toMatch(/^unhealthy: Kafka unreachable for \d+ s \(since \d{4}-\d\d-\d\dT[\d:.]+Z\): \S.*\n$/);
  const after = await pollUntil(`${url}/healthz`, (a) => a.status === 200, 90_000);
  expect(after).toMatchObject({ status: 200, body: "ok\n" });
  const again = await TopicReader.start([topic]);
  readers.push(again);
  const got = await again.waitFor(topic, 200, 60_000);
  expect(compare(got, { h: 200 }).missing).toBe(0);
  const text = (await get(`${url}/metrics`)).body;
  expect(sample(text, "logagent_kafka_errors_total", { topic, cause: "unavailable" }) ?? sample(text, "logagent_kafka_errors_total", { topic: "", cause: "unavailable" })).toBeGreaterThan(0);
  expect(checkMetrics(text).code).toBe(0);
  expect(await agent.stop()).toBe(0);
}, 240_000);

test("/healthz turns 503 naming a topic Kafka refuses for longer than unhealthy_after_s, and 200 once it exists", async () => {
  const { agent, url, file, topic } = await agentWithHttp("unhealthy_after_s = 2\n", { create: false, kafkaExtra: "auto_create_topics = false" });
  appendNumbered(file, "r", 0, 10);
  const refused = await pollUntil(`${url}/healthz`, (a) => a.status === 503, 60_000);
  console.log(`/healthz with a refused topic: ${refused.status} ${refused.body.trim()}`);
  expect(refused.status).toBe(503);
  expect(refused.body).toMatch(new RegExp(`^unhealthy: Kafka refuses topic ${topic} for \\d+ s \\(since [^)]+\\): \\S.*\n$`));
  const status = JSON.parse((await get(`${url}/status`)).body);
  expect(status.kafka).toMatchObject({ reachable: true, refused: [{ topic, reason: expect.stringMatching(/\S/) }] });
  await createTopics([topic]);
  // The sink retries a refused topic with a backoff of at most 10 s.
  const after = await pollUntil(`${url}/healthz`, (a) => a.status === 200, 60_000);
  expect(after).toMatchObject({ status: 200, body: "ok\n" });
  expect(await agent.stop()).toBe(0);
}, 180_000);

test("with [etcd]: logagent_etcd_connected is 1 while the watch runs, and logagent_etcd_revision follows the last change applied", async () => {
  const { dir, bin } = sandbox();
  const key = `/logagent/${unique("metrics")}/collect_config`;
  const topic = unique("metrics");
  const file = path.join(dir, "app.log");
  writeFileSync(file, "");
  await createTopics([topic]);
  const etcd = etcdClient();
  try {
    await putList(etcd, key, [{ path: file, topic }]);
    const agent = new AgentProcess(dir, bin, iniFor({ kafka: services.kafka, etcd: services.etcd, key, extra: "[http]\naddress = 127.0.0.1:0" }));
    running.push(agent);
    const url = /url=(http:\/\/127\.0\.0\.1:\d+)/.exec(await agent.waitForLog(/Serving \/metrics.*url=http:\/\/\S+/))![1]!;
    await agent.waitForLog(/Watching the collect list in etcd/);
    const put = await etcd.put(key).value(JSON.stringify([{ path: file, topic, exclude_lines: ["^x"] }])).exec();
    const revision = Number(put.header.revision);
    const a = await pollUntil(`${url}/metrics`, (x) => sample(x.body, "logagent_etcd_revision") === revision, 20_000);
    expect(sample(a.body, "logagent_etcd_revision")).toBe(revision);
    expect(sample(a.body, "logagent_etcd_connected")).toBe(1);
    expect(checkMetrics(a.body).code).toBe(0);
    expect(await agent.stop()).toBe(0);
  } finally {
    etcd.close();
  }
}, 60_000);

test("an [http] address whose port is taken stops the start with a configuration error naming the key (exit 2)", async () => {
  const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("someone else") });
  try {
    const { dir, bin } = sandbox();
    const file = path.join(dir, "app.log");
    writeFileSync(file, "");
    const extra = `[collect.app]\npath = ${file}\ntopic = ${unique("metrics")}\n\n[http]\naddress = 127.0.0.1:${taken.port}\n`;
    const agent = new AgentProcess(dir, bin, iniFor({ kafka: services.kafka, extra }));
    running.push(agent);
    const code = await Promise.race([agent.exited, Bun.sleep(30_000).then(() => "still running")]);
    expect(code).toBe(2);
    expect(agent.log).toContain(`logagent: configuration error: ${path.join(dir, "conf.ini")}: [http] address = "127.0.0.1:${taken.port}": cannot listen there: the port is in use by another program (or another agent)`);
    expect(agent.log).not.toMatch(/^\s+at /m); // no stack trace
  } finally {
    taken.stop(true);
  }
}, 60_000);
