// `${NAME}` and `${NAME:-default}` in INI values come from the environment, so
// that secrets such as sasl_password stay out of the file. `$${` is a literal
// `${`. The default is used when the variable is unset or empty (as in a shell).
// Messages name the variable, never its value: it may be a secret.
import { describeCodePoint, findRefusedCharacter } from "./ini-text";

export type Environment = Record<string, string | undefined>;

export function expandVariables(text: string, env: Environment): { value: string; names: string[] } | { problem: string } {
  let value = "";
  const names: string[] = [];
  for (let i = 0; i < text.length; ) {
    if (text.startsWith("$${", i)) {
      value += "${";
      i += 3;
      continue;
    }
    if (!text.startsWith("${", i)) {
      value += text[i++];
      continue;
    }
    const end = text.indexOf("}", i + 2);
    if (end < 0) return { problem: `"\${" at character ${i + 1} has no closing "}"; write $\${ for a literal \${` };
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::-((?:(?!\$\{)[^])*))?$/.exec(text.slice(i + 2, end));
    if (!m) {
      return { problem: `${JSON.stringify(text.slice(i, end + 1))} is not \${NAME} or \${NAME:-default} (no nesting); write $\${ for a literal \${` };
    }
    const [, name, fallback] = m as unknown as [string, string, string | undefined];
    const set = env[name];
    if (set === undefined && fallback === undefined) {
      return { problem: `environment variable ${name} is not set (write \${${name}:-default} to give a default)` };
    }
    const part = set === undefined || (set === "" && fallback !== undefined) ? fallback! : set;
    const bad = set === part ? findRefusedCharacter(part) : undefined;
    if (bad) return { problem: `environment variable ${name} holds ${describeCodePoint(bad.codePoint)} at character ${bad.column}; control and invisible characters are not allowed` };
    value += part;
    names.push(name);
    i = end + 1;
  }
  return { value, names };
}
