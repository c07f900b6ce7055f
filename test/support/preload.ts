// Test clients (support/kafka.ts reads Kafka back with kafkajs) get the agent's kafkajs patch, so
// that their idle connections do not spin either (see src/kafka/request-queue-patch.ts).
import "../../src/kafka/request-queue-patch";

import { afterAll } from "bun:test";
import { removeSandboxes } from "./agent-process";

// In a preload, afterAll runs once after every test file.
afterAll(removeSandboxes);
