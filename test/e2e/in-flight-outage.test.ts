// Issue 10, item 2: several produce requests on the wire per partition, and the broker going away
// under them. The broker is frozen (SIGSTOP) while lines are written, so that every partition's
// window fills with requests it does not answer, then stopped (scripts/services.sh stop-kafka) as
// it is let go again: it reads some of the requests waiting for it, appends them and goes away
// before answering, and the connection drops under the rest. Lines keep coming, and the broker is
// started again. Nothing may be lost and every file's lines must arrive in order (judged on first
// arrivals, as a consumer that drops duplicates by the offset header sees them); with the idempotent
// producer there must be no duplicates either. (A broker killed outright is the cluster test's case.)
import { afterAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { AgentProcess, iniFor, sandbox } from "../support/agent-process";
import { services, unique } from "../support/env";
import { appendNumbered } from "../support/files";
import { TopicReader, createTopics } from "../support/kafka";
import { compare } from "../support/scenario";
import { kafkaPid, servicesShAsync } from "../support/services";

const FILES = ["a", "b"];

/**
 * Bytes received by the broker's sockets on `port` and not yet read by it (Linux /proc/net/tcp and
 * tcp6, Java's sockets being IPv6 ones with mapped IPv4 addresses: local port, state 01 =
 * established, rx_queue): with the broker frozen, the requests on the wire.
 */
function unreadByBroker(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  let bytes = 0;
  const lines = ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((f) => readFileSync(f, "utf8").split("\n").slice(1));
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !f[1]!.endsWith(`:${hex}`) || f[3] !== "01") continue;
    bytes += parseInt(f[4]!.split(":")[1]!, 16);
  }
  return bytes;
}
const BURST = 1000; // lines per file per burst
const PAD = " " + "x".repeat(80);

const running: AgentProcess[] = [];
afterAll(async () => {
  for (const a of running) if (a.running) await a.stop();
  // Whatever happened, leave the broker running for the other tests.
  try {
    process.kill(kafkaPid(), "SIGCONT");
  } catch {}
  await servicesShAsync("start-kafka", [process.env.SERVICES_RUN_DIR!]).catch(() => {});
});

/** Appends bursts of numbered lines to every file until stopped; `written` counts them per file. */
class Writer {
  readonly written = new Map(FILES.map((f) => [f, 0]));
  private running = true;
  private done: Promise<void>;
  constructor(dir: string) {
    this.done = (async () => {
      while (this.running) {
        for (const f of FILES) {
          const n = this.written.get(f)!;
          appendNumbered(`${dir}/${f}.log`, f, n, n + BURST, PAD);
          this.written.set(f, n + BURST);
        }
        await Bun.sleep(250);
      }
    })();
  }
  async stop(): Promise<Record<string, number>> {
    this.running = false;
    await this.done;
    return Object.fromEntries(this.written);
  }
}

async function outages(idempotent: boolean): Promise<void> {
  const topic = unique(idempotent ? "inflight-idem" : "inflight");
  await createTopics([topic], 2);
  const box = sandbox();
  for (const f of FILES) writeFileSync(`${box.dir}/${f}.log`, "");
  const sections = FILES.map((f) => `\n[collect.${f}]\npath = ${box.dir}/${f}.log\ntopic = ${topic}`).join("");
  // Small batches, so that a burst is many requests and every window is full while it is shipped.
  const kafka = `max_in_flight = 5\nbatch_max_messages = 50\nidempotent = ${idempotent}`;
  const agent = new AgentProcess(box.dir, box.bin, iniFor({ kafka: services.kafka, kafkaExtra: kafka, extra: sections }));
  running.push(agent);
  await agent.waitForLog(/Following file[^\n]*b\.log/);
  const writer = new Writer(box.dir);
  const dir = process.env.SERVICES_RUN_DIR!;
  const pid = () => kafkaPid();

  await Bun.sleep(2000);
  process.kill(pid(), "SIGSTOP");
  await Bun.sleep(1500);
  // A request here is at most 50 lines of about 300 bytes with their key and headers (15 KB):
  // more unread than that is several requests on the wire.
  const unread = unreadByBroker(Number(services.kafka.split(",")[0]!.split(":")[1]));
  const stopping = servicesShAsync("stop-kafka", [dir]);
  await Bun.sleep(200); // stop-kafka has sent SIGTERM; let the broker run to handle it
  process.kill(pid(), "SIGCONT");
  await stopping;
  await Bun.sleep(1500);
  await servicesShAsync("start-kafka", [dir]);
  await agent.waitForLog(/Kafka accepts batches again/, 60_000);
  await Bun.sleep(1000);
  const written = await writer.stop();

  const reader = await TopicReader.start([topic]);
  const total = Object.values(written).reduce((a, b) => a + b, 0);
  const got = await reader.waitFor(topic, total, 120_000, 3000);
  await reader.stop();
  const c = compare(got, written);
  const inFlight = [...agent.log.matchAll(/Kafka did not accept a batch[^\n]*requests_in_flight=(\d+)/g)].map((m) => Number(m[1]));
  console.log(
    `${idempotent ? "idempotent" : "plain"}: ${total} lines written, ${c.received} received, ${c.missing} missing, ${c.duplicates} duplicates, ${c.outOfOrder} out of order; ` +
      `${unread} bytes of requests waiting for the frozen broker; requests on the wire when the first one failed: ${inFlight.join(", ")}`,
  );
  expect(unread).toBeGreaterThan(15_000);
  expect(agent.log).not.toMatch(/Kafka refuses this topic/);
  expect(c.missing).toBe(0);
  expect(c.outOfOrder).toBe(0);
  if (idempotent) expect(c.duplicates).toBe(0);
}

test("the broker stopped with several requests on the wire: nothing lost, every file in order", async () => {
  await outages(false);
}, 240_000);

test("the same with the idempotent producer: nothing lost, in order, and no duplicates", async () => {
  await outages(true);
}, 240_000);
