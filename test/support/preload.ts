// Test clients (support/kafka.ts reads Kafka back with kafkajs) get the agent's kafkajs patch, so
// that their idle connections do not spin either (see src/kafka/request-queue-patch.ts).
import "../../src/kafka/request-queue-patch";
