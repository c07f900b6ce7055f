// The `ini` package ships no type declarations; this is the part logagent uses.
declare module "ini" {
  export function parse(text: string): Record<string, unknown>;
  const ini: { parse: typeof parse };
  export default ini;
}
