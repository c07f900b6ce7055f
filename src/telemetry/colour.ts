// Whether to colour what goes to a stream. picocolors' own default colours every stream on
// Windows, so `logagent check > out.txt` filled the file with escape codes there. The rule here is
// the one https://no-color.org and https://force-color.org describe: NO_COLOR (non-empty) turns
// colour off, FORCE_COLOR (non-empty, not "0") turns it on, otherwise only a terminal gets colour.
import pc from "picocolors";

export type Colours = ReturnType<typeof pc.createColors>;

export function wantsColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return true;
  return Boolean(stream.isTTY);
}

export function coloursFor(stream: NodeJS.WriteStream): Colours {
  return pc.createColors(wantsColour(stream));
}
