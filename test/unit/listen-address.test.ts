// [http] address: the forms it takes, and what a bad one says (config.test.ts has it in an INI).
import { expect, test } from "bun:test";
import { parseListenAddress } from "../../src/config/listen-address";

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
