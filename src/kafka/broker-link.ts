// Sends a produce frame (produce-request.ts) on one of kafkajs's broker
// connections and reads the answer. kafkajs keeps the connection: TLS, SASL
// and re-authentication, the socket, the request queue that matches answers to
// requests by correlation id and times them out. What is skipped is its
// request encoding (an `encode()` whose result kafkajs copies twice into
// zero-filled buffers) and its response parsing, which throws on the first
// partition error; the answer here is decoded whole.
//
// This reaches into kafkajs's Connection (its request queue and socket, the
// same steps as its own `send`), which is why kafkajs is pinned exactly in
// package.json; test/e2e covers it against the real broker, with SASL and TLS.
import { CORRELATION_ID_AT, decodeProduceResponse, PRODUCE_API_KEY, PRODUCE_API_VERSION, type ProduceResponse } from "./produce-request";

/** What this module uses of a kafkajs Connection (kafkajs/src/network/connection.js). */
export interface KafkaConnection {
  readonly host: string;
  readonly port: number;
  isAuthenticated(): boolean;
  authenticate(): Promise<void>;
  failIfNotConnected(): void;
  nextCorrelationId(): number;
  readonly requestQueue: {
    push(request: {
      entry: { apiKey: number; apiName: string; apiVersion: number; correlationId: number; resolve: (r: { payload: Buffer | null }) => void; reject: (e: unknown) => void };
      expectResponse: boolean;
      requestTimeout: number;
      sendRequest: () => void;
    }): void;
    maybeThrottle(ms: number | null): void;
  };
  readonly socket: { write(data: Uint8Array): boolean };
}

/**
 * Sends `frame` (its correlation id is filled in here) and resolves with the broker's answer, or
 * with null when none is expected (acks = 0: resolved once written to the socket). Rejects with
 * kafkajs's errors when the connection fails or no answer comes within `timeoutMs`.
 */
export async function sendFrame(connection: KafkaConnection, frame: Buffer, expectResponse: boolean, timeoutMs: number): Promise<ProduceResponse | null> {
  if (!connection.isAuthenticated()) await connection.authenticate();
  connection.failIfNotConnected();
  const correlationId = connection.nextCorrelationId();
  frame.writeInt32BE(correlationId, CORRELATION_ID_AT);
  const { payload } = await new Promise<{ payload: Buffer | null }>((resolve, reject) => {
    connection.requestQueue.push({
      entry: { apiKey: PRODUCE_API_KEY, apiName: "Produce", apiVersion: PRODUCE_API_VERSION, correlationId, resolve, reject },
      expectResponse,
      requestTimeout: timeoutMs,
      sendRequest: () => connection.socket.write(frame),
    });
  });
  if (!expectResponse || payload === null) return null;
  const response = decodeProduceResponse(payload);
  connection.requestQueue.maybeThrottle(response.throttleTimeMs);
  return response;
}
