// The version is embedded at build time: the bundler inlines package.json.
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
