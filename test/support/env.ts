// Where the services started by scripts/test.sh are, and the release binary under test.
import { existsSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dir, "../..");

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with scripts/test.sh, which starts etcd and Kafka`);
  return v;
}

export const services = {
  get etcd(): string {
    return required("ETCD_ENDPOINTS");
  },
  get kafka(): string {
    return required("KAFKA_BROKERS");
  },
  /** Where scripts/services.sh keeps its state; its start-etcd, stop-etcd, ... commands take it. */
  get runDir(): string {
    return required("SERVICES_RUN_DIR");
  },
  /** The run's test PKI (made with openssl by services.sh): CA, and a client certificate and key it signed. */
  get etcdTls(): { ca: string; cert: string; key: string } {
    return { ca: required("ETCD_TLS_CA"), cert: required("ETCD_TLS_CLIENT_CERT"), key: required("ETCD_TLS_CLIENT_KEY") };
  },
};

export function releaseBinary(target = "linux-x64"): string {
  const file = path.join(ROOT, "dist", `logagent-${target}${target.startsWith("windows") ? ".exe" : ""}`);
  if (!existsSync(file)) throw new Error(`${file} is missing: scripts/test.sh builds it (bun scripts/build.ts ${target})`);
  return file;
}

/** A name no other test (or earlier run) uses, for topics and etcd keys. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
}
