// A Node test runner reporter that writes JUnit XML naming each test's source file
// (node --test --test-reporter=/opt/codepair/node_junit.mjs --test-reporter-destination=FILE).
// Node's own junit reporter gives every test classname="test" and no file, so a hidden test
// file's tests could not be told from the visible ones. Tests esbuild bundled into
// .codepair/js/ are traced back to the .ts/.tsx/.js/.jsx file they came from.
import { existsSync } from "node:fs";
import { relative, sep } from "node:path";

const BUNDLED = ".codepair/js/";
const SOURCES = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

function sourceOf(file) {
  if (!file) return "";
  let path = relative(process.cwd(), file.replace(/^file:\/\//, "")).split(sep).join("/");
  if (path.startsWith(BUNDLED)) {
    const stem = path.slice(BUNDLED.length).replace(/\.[cm]?js$/, "");
    path = SOURCES.map((ext) => stem + ext).find((candidate) => existsSync(candidate)) ?? path;
  }
  return path;
}

function escape(text) {
  return String(text)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "")
    .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function messageOf(error) {
  const cause = error?.cause ?? error;
  return String(cause?.message ?? cause ?? "failed").slice(0, 2000);
}

export default async function* junitWithFiles(source) {
  const cases = [];
  const suites = [];
  for await (const event of source) {
    if (event.type !== "test:pass" && event.type !== "test:fail") continue;
    const data = event.data;
    if (data.details?.type === "suite") {
      suites.push(data);
      continue;
    }
    cases.push(data);
  }
  let failed = 0;
  yield '<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n';
  for (const data of cases) {
    const file = sourceOf(data.file);
    const classname = file.replace(/\.[^./]+$/, "").replace(/\.test$/, "").split("/").join(".");
    const time = ((data.details?.duration_ms ?? 0) / 1000).toFixed(3);
    const head = `  <testcase name="${escape(data.name)}" classname="${escape(classname)}" ` +
      `file="${escape(file)}" time="${time}"`;
    if (data.details?.error) {
      failed += 1;
      const message = messageOf(data.details.error);
      yield `${head}>\n    <failure message="${escape(message)}">${escape(message)}</failure>\n  </testcase>\n`;
    } else if (data.skip || data.todo) {
      yield `${head}>\n    <skipped/>\n  </testcase>\n`;
    } else {
      yield `${head}/>\n`;
    }
  }
  yield `  <!-- ${cases.length - failed} passed, ${failed} failed -->\n</testsuites>\n`;
}
