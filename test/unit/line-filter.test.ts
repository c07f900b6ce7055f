import { expect, test } from "bun:test";
import { LineFilter } from "../../src/lines/line-filter";
import { compileUserPattern as re } from "../../src/lines/user-pattern";

test("without patterns the filter is inactive and keeps everything", () => {
  const f = new LineFilter([], []);
  expect(f.active).toBe(false);
  expect(f.keep("anything")).toBe(true);
});

test("with include patterns a line must match at least one", () => {
  const f = new LineFilter([re("ERROR"), re("WARN")], []);
  expect(f.active).toBe(true);
  expect(f.keep("ERROR disk full")).toBe(true);
  expect(f.keep("WARN slow")).toBe(true);
  expect(f.keep("INFO ok")).toBe(false);
});

test("a line matching any exclude pattern is dropped", () => {
  const f = new LineFilter([], [re("DEBUG"), re("healthcheck")]);
  expect(f.active).toBe(true);
  expect(f.keep("INFO ok")).toBe(true);
  expect(f.keep("DEBUG noise")).toBe(false);
  expect(f.keep("GET /healthcheck")).toBe(false);
});

test("exclude applies after include", () => {
  const f = new LineFilter([re("ERROR")], [re("healthcheck")]);
  expect(f.keep("ERROR disk full")).toBe(true);
  expect(f.keep("ERROR healthcheck failed")).toBe(false);
  expect(f.keep("INFO healthcheck ok")).toBe(false);
});

test("a pattern gives the same answer every time, on either engine", () => {
  for (const engine of ["auto", "re2"] as const) {
    const f = new LineFilter([re("ERROR", engine)], [re("x", engine)]);
    for (let i = 0; i < 3; i++) expect(f.keep("ERROR again")).toBe(true);
    for (let i = 0; i < 3; i++) expect(f.keep("x ERROR")).toBe(false);
  }
});
