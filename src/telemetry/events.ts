// The named events of the agent's life: what an operator wants to find without reading every
// line (start, stop, a fatal error, the start and end of an outage). A log call carries the name
// (`log.warn("Kafka did not accept a batch...", fields, "KafkaOutageStarted")`); the event sink
// (the Windows Event Log) reports the records that carry one, and /metrics and status can count
// them by the same names. Each name has a fixed number because the Event Log files entries by
// number: change a number and an admin's saved filter stops matching.

export const EVENTS = {
  AgentStarting: 1,
  AgentStopping: 2,
  AgentStopped: 3,
  FatalError: 4,
  KafkaOutageStarted: 10,
  KafkaOutageEnded: 11,
  KafkaTopicRefused: 12,
  KafkaTopicAccepted: 13,
  KafkaCredentialsRejected: 14,
  KafkaCredentialsAccepted: 15,
  /** exactly_once: another agent took the transactional id; this one stops. */
  ProducerFenced: 16,
  EtcdOutageStarted: 20,
  EtcdOutageEnded: 21,
  /** The log file could not be opened or written; the log went to stderr instead. */
  LogFileFailed: 30,
  /** Kafka refused a topic's records for good; they go to the dead-letter topic. */
  KafkaDeadLettered: 40,
  /** The dead-letter topic refuses records too: its lines wait. */
  KafkaDeadLetterRefused: 41,
  KafkaDeadLetterAccepted: 42,
} as const;

export type EventName = keyof typeof EVENTS;

/** The Event Log number for an `error` record that carries no event name. */
export const UNNAMED_ERROR_ID = 99;

export function eventId(name: EventName | undefined): number {
  return name === undefined ? UNNAMED_ERROR_ID : EVENTS[name];
}
