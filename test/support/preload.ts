// kafkajs (used by the tests to read Kafka back) triggers Bun's TimeoutNegativeWarning on every
// response; see src/main.ts. Hide that one warning so real ones stand out.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name !== "TimeoutNegativeWarning") console.warn(w);
});
