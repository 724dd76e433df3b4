import { describe, expect, it } from "vitest";

import { buildTree, foldersOf, languageOf, moveProblem, movedPath, pairRenames, pathProblem } from "./paths";

describe("project paths", () => {
  it("keeps the server's rules", () => {
    expect(pathProblem("src/app.py")).toBeNull();
    expect(pathProblem("")).toMatch(/empty/);
    expect(pathProblem("/etc/passwd")).toMatch(/relative/);
    expect(pathProblem("a/../b")).toMatch(/\.\./);
    expect(pathProblem("a//b")).toMatch(/empty/);
    expect(pathProblem("a/")).toMatch(/empty/);
    expect(pathProblem("a\\b")).toMatch(/\//);
    expect(pathProblem("a\u0000b")).toMatch(/control/);
    expect(pathProblem("é".repeat(128))).toMatch(/255 bytes/);
  });

  it("builds a tree with folders first and empty folders kept", () => {
    const tree = buildTree(["main.py", "pkg/util.py", "pkg/sub/deep.py", "README.md"], ["empty"]);
    expect(tree.map((n) => `${n.kind}:${n.path}`)).toEqual(["folder:empty", "folder:pkg", "file:main.py", "file:README.md"]);
    const pkg = tree[1];
    expect(pkg?.children.map((n) => n.path)).toEqual(["pkg/sub", "pkg/util.py"]);
    expect(foldersOf(["a/b/c.txt", "a/d.txt"])).toEqual(["a", "a/b"]);
  });

  it("moves files and folders, and refuses clashes", () => {
    expect(movedPath("pkg/a.py", "pkg", "lib")).toBe("lib/a.py");
    expect(movedPath("pkgx/a.py", "pkg", "lib")).toBeNull();
    const files = ["main.py", "pkg/a.py", "pkg/b.py", "lib.py"];
    expect(moveProblem(files, "pkg", "src/pkg")).toBeNull();
    expect(moveProblem(files, "pkg", "pkg/inner")).toMatch(/into itself/);
    expect(moveProblem(files, "pkg/a.py", "main.py")).toMatch(/already exists/);
    expect(moveProblem(files, "pkg/a.py", "lib.py/a.py")).toMatch(/is a file/);
    expect(moveProblem(files, "main.py", "../x.py")).toMatch(/\.\./);
  });

  it("knows each file's language from its extension", () => {
    expect(languageOf("a/b.py")).toBe("python");
    expect(languageOf("x.test.TS")).toBe("typescript");
    expect(languageOf("Main.java")).toBe("java");
    expect(languageOf("Makefile")).toBe("plaintext");
    expect(languageOf(".env")).toBe("plaintext");
  });

  it("pairs a removal and an addition as a rename", () => {
    expect([...pairRenames(["a/x.py", "b.py"], ["c/x.py", "d.py"])]).toEqual([
      ["a/x.py", "c/x.py"],
      ["b.py", "d.py"],
    ]);
    expect(pairRenames(["a.py", "b.py"], ["c.py", "d.py"]).size).toBe(0);
  });
});
