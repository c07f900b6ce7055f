// Counters, gauges and histograms for /metrics, rendered in the Prometheus text format (0.0.4).
//
// Made for a hot path: a call site asks its family for the child of its label values once
// (`const sent = LINES_SENT.with({ entry, topic })`) and then only adds to a number, so counting a
// line costs a property increment, not a lookup. Values that already live elsewhere (queue sizes,
// open files, lag per file) are not copied into gauges on every change: a collected gauge reads
// them when /metrics is scraped.
export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  render(out: string[]): void;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeHelp(s: string): string {
  return s.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
}

function escapeValue(s: string): string {
  return s.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

export function formatLabels(labels: Labels, extra?: [string, string]): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeValue(v)}"`);
  if (extra) parts.push(`${extra[0]}="${escapeValue(extra[1])}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Children by label values; the key is the values in the family's label order. */
class Children<T> {
  /** `series` is the sample's name and labels, formatted once: a scrape of 10,000 series only appends numbers. */
  private readonly byKey = new Map<string, { labels: Labels; child: T; series: string }>();
  constructor(
    private readonly familyName: string,
    private readonly labelNames: readonly string[],
    private readonly make: () => T,
  ) {}

  with(labels: Labels): T {
    const key = this.labelNames.map((n) => labels[n] ?? "").join("\u0000");
    let entry = this.byKey.get(key);
    if (!entry) {
      const names = Object.keys(labels);
      if (names.length !== this.labelNames.length || !this.labelNames.every((n) => n in labels)) {
        throw new Error(`${this.familyName}: labels ${JSON.stringify(names)} do not match ${JSON.stringify(this.labelNames)}`);
      }
      const ordered = Object.fromEntries(this.labelNames.map((n) => [n, labels[n]!]));
      entry = { labels: ordered, child: this.make(), series: `${this.familyName}${formatLabels(ordered)}` };
      this.byKey.set(key, entry);
    }
    return entry.child;
  }

  /** Forgets a child (a file no longer followed, an entry removed), so /metrics does not grow for ever. */
  remove(labels: Labels): void {
    this.byKey.delete(this.labelNames.map((n) => labels[n] ?? "").join("\u0000"));
  }

  entries(): Iterable<{ labels: Labels; child: T; series: string }> {
    return this.byKey.values();
  }
}

export class Counter {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

/** A family of single-number children (counters, gauges): one child per label set. */
class ValueFamily<C extends { value: number }> implements Family {
  private readonly children: Children<C>;
  constructor(
    readonly type: "counter" | "gauge",
    readonly name: string,
    readonly help: string,
    labelNames: readonly string[],
    make: () => C,
  ) {
    this.children = new Children(name, labelNames, make);
  }
  with(labels: Labels = {}): C {
    return this.children.with(labels);
  }
  remove(labels: Labels): void {
    this.children.remove(labels);
  }
  render(out: string[]): void {
    for (const { series, child } of this.children.entries()) out.push(`${series} ${formatNumber(child.value)}`);
  }
}

export class CounterFamily extends ValueFamily<Counter> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super("counter", name, help, labelNames, () => new Counter());
  }
}

export class Gauge {
  value = 0;
  set(v: number): void {
    this.value = v;
  }
  inc(n = 1): void {
    this.value += n;
  }
}

export class GaugeFamily extends ValueFamily<Gauge> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super("gauge", name, help, labelNames, () => new Gauge());
  }
}

/** A gauge (or counter) whose samples are read from elsewhere when /metrics is scraped. */
export class CollectedFamily implements Family {
  /** Formatted series by their label values, kept from one scrape to the next (and only those still sampled). */
  private series = new Map<string, string>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge",
    private readonly collect: () => Iterable<Sample>,
  ) {}
  render(out: string[]): void {
    const seen = new Map<string, string>();
    for (const { labels, value } of this.collect()) {
      const key = Object.entries(labels).join("\u0000");
      const series = this.series.get(key) ?? seen.get(key) ?? `${this.name}${formatLabels(labels)}`;
      seen.set(key, series);
      out.push(`${series} ${formatNumber(value)}`);
    }
    this.series = seen;
  }
}

export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = new Array(buckets.length).fill(0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    // Buckets are few (about ten): a scan beats a search.
    for (let i = 0; i < this.buckets.length; i++) {
      if (v <= this.buckets[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

export class HistogramFamily implements Family {
  readonly type = "histogram" as const;
  private readonly children: Children<Histogram>;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
    labelNames: readonly string[] = [],
  ) {
    if (buckets.some((b, i) => i > 0 && b <= buckets[i - 1]!)) throw new Error(`${name}: buckets must increase`);
    this.children = new Children(name, labelNames, () => new Histogram(buckets));
  }
  with(labels: Labels = {}): Histogram {
    return this.children.with(labels);
  }
  render(out: string[]): void {
    for (const { labels, child } of this.children.entries()) {
      let cumulative = 0;
      child.buckets.forEach((le, i) => {
        cumulative += child.counts[i]!;
        out.push(`${this.name}_bucket${formatLabels(labels, ["le", formatNumber(le)])} ${cumulative}`);
      });
      out.push(`${this.name}_bucket${formatLabels(labels, ["le", "+Inf"])} ${child.count}`);
      out.push(`${this.name}_sum${formatLabels(labels)} ${formatNumber(child.sum)}`);
      out.push(`${this.name}_count${formatLabels(labels)} ${child.count}`);
    }
  }
}

export class Registry {
  private readonly families = new Map<string, Family>();

  private add<F extends Family>(family: F, labelNames: readonly string[]): F {
    if (!NAME.test(family.name)) throw new Error(`metric name ${JSON.stringify(family.name)} is not valid`);
    for (const l of labelNames) if (!LABEL.test(l) || l === "le") throw new Error(`${family.name}: label name ${JSON.stringify(l)} is not valid`);
    if (family.type === "counter" && !family.name.endsWith("_total")) throw new Error(`${family.name}: a counter's name ends in _total`);
    if (this.families.has(family.name)) throw new Error(`metric ${family.name} is registered twice`);
    this.families.set(family.name, family);
    return family;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): CounterFamily {
    return this.add(new CounterFamily(name, help, labelNames), labelNames);
  }
  gauge(name: string, help: string, labelNames: readonly string[] = []): GaugeFamily {
    return this.add(new GaugeFamily(name, help, labelNames), labelNames);
  }
  histogram(name: string, help: string, buckets: readonly number[], labelNames: readonly string[] = []): HistogramFamily {
    return this.add(new HistogramFamily(name, help, buckets, labelNames), labelNames);
  }
  collected(name: string, help: string, type: "counter" | "gauge", collect: () => Iterable<Sample>): CollectedFamily {
    return this.add(new CollectedFamily(name, help, type, collect), []);
  }

  /** The Prometheus text exposition of every family, in registration order. */
  render(): string {
    const out: string[] = [];
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
      f.render(out);
    }
    return out.join("\n") + "\n";
  }
}
