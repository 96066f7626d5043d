import { readFileSync, readdirSync } from "node:fs";
import { expect, test } from "./helpers";

// Every browser test fails on a console error or a page error: that is the `browserErrors`
// fixture of the `test` in helpers.ts. A spec that takes `test` straight from
// "@playwright/test" would run without it, so this test names any such spec.
test("every spec takes `test` from helpers.ts (it fails on console and page errors)", () => {
  const direct = /import\s*\{[^}]*\btest\b[^}]*\}\s*from\s*["']@playwright\/test["']/;
  const offenders = readdirSync(__dirname)
    .filter((file) => file.endsWith(".spec.ts"))
    .filter((file) => direct.test(readFileSync(`${__dirname}/${file}`, "utf8")));
  expect(offenders, 'specs importing `test` from "@playwright/test" instead of "./helpers"').toEqual([]);
});
