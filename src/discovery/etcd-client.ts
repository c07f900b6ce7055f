// The etcd3 client, loaded only when the INI has an [etcd] section (it and
// gRPC add most of the agent's idle memory). In the compiled binary its .proto
// files come from the build (scripts/build.ts inlines them), because etcd3
// reads them from node_modules at import time.
export { Etcd3 } from "etcd3";
