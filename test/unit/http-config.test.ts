// [http] address and unhealthy_after_s: parsed with the INI, a bad address reported with its line.
import { expect, test } from "bun:test";
import { ConfigError } from "../../src/config/config-error";
import { parseListenAddress } from "../../src/config/listen-address";
import { parseIni } from "../../src/config/load-ini";

const BASE = "[kafka]\naddress = 127.0.0.1:9092\n\n[collect.app]\npath = /var/log/app.log\ntopic = app\n";

function problems(text: string): string[] {
  try {
    parseIni(text, "/etc/logagent/conf.ini");
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split("\n");
    throw err;
  }
  return [];
}

test("host:port forms: IPv4, a name, [IPv6], :port for every interface, port 0 for any free port", () => {
  expect(parseListenAddress("127.0.0.1:9700")).toEqual({ hostname: "127.0.0.1", port: 9700 });
  expect(parseListenAddress("localhost:9700")).toEqual({ hostname: "localhost", port: 9700 });
  expect(parseListenAddress("[::1]:9700")).toEqual({ hostname: "::1", port: 9700 });
  expect(parseListenAddress(":9700")).toEqual({ hostname: "0.0.0.0", port: 9700 });
  expect(parseListenAddress("127.0.0.1:0")).toEqual({ hostname: "127.0.0.1", port: 0 });
});

test("a bad address says what is wrong with it and echoes it", () => {
  expect(parseListenAddress("9700")).toEqual({ problem: expect.stringContaining('= "9700": must be host:port') });
  expect(parseListenAddress("127.0.0.1")).toEqual({ problem: expect.stringContaining("must be host:port") });
  expect(parseListenAddress("127.0.0.1:99999")).toEqual({ problem: '= "127.0.0.1:99999": the port must be from 0 to 65535' });
  expect(parseListenAddress("127.0.0.1:port")).toEqual({ problem: expect.stringContaining("must be host:port") });
  expect(parseListenAddress("http://127.0.0.1:9700")).toEqual({ problem: expect.stringContaining("must be host:port") });
  expect(parseListenAddress("[zz]:9700")).toEqual({ problem: '= "[zz]:9700": "zz" is not an IPv6 address' });
  expect(parseListenAddress("a_b:9700")).toEqual({ problem: '= "a_b:9700": "a_b" is not a host name or IPv4 address' });
});

test("without [http] there is no server; unhealthy_after_s defaults to 60 s", () => {
  const c = parseIni(BASE, "/etc/logagent/conf.ini");
  expect(c.http).toEqual({ address: null, unhealthyAfterMs: 60_000 });
});

test("[http] address and unhealthy_after_s are read", () => {
  const c = parseIni(`${BASE}\n[http]\naddress = 127.0.0.1:9700\nunhealthy_after_s = 5\n`, "/etc/logagent/conf.ini");
  expect(c.http).toEqual({ address: { hostname: "127.0.0.1", port: 9700 }, unhealthyAfterMs: 5000 });
});

test("a bad [http] address names the file, line, section, key and value", () => {
  expect(problems(`${BASE}\n[http]\naddress = 127.0.0.1\nunhealthy_after_s = 0\n`)).toEqual([
    '/etc/logagent/conf.ini:9: [http] address = "127.0.0.1": must be host:port, e.g. 127.0.0.1:9700 (or [::1]:9700, or :9700 for every interface)',
    '/etc/logagent/conf.ini:10: [http] unhealthy_after_s = "0": must be an integer from 1 to 86400',
  ]);
});
