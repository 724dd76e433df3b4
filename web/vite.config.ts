/// <reference types="node" />
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";

import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

const monacoEsm = fileURLToPath(new URL("./node_modules/monaco-editor/esm/vs/", import.meta.url));

/** The whiteboard's fonts, served by us (BoardPanel sets EXCALIDRAW_ASSET_PATH), not a CDN. */
function excalidrawFonts(): Plugin {
  return {
    name: "codepair-excalidraw-fonts",
    apply: "build",
    writeBundle(options) {
      const from = fileURLToPath(new URL("./node_modules/@excalidraw/excalidraw/dist/prod/fonts", import.meta.url));
      cpSync(from, `${options.dir ?? "dist"}/assets/excalidraw/fonts`, { recursive: true });
    },
  };
}

/**
 * `dist/room.html`: index.html with the room page's chunks as `modulepreload` links (Monaco
 * among them, 3 MB), which the server sends for `/rooms/...` (codepair/app.py). Without it the
 * browser learns of them only once the entry script has run and imports the room page, and
 * the largest download of the room starts a few hundred milliseconds late (bench/project_tree.py).
 */
function roomPreload(): Plugin {
  return {
    name: "codepair-room-preload",
    apply: "build",
    writeBundle(options, bundle) {
      const dir = options.dir ?? "dist";
      const chunks = Object.values(bundle).filter((item) => item.type === "chunk");
      const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]));
      const room = chunks.find((chunk) => chunk.facadeModuleId?.endsWith("/src/room/RoomPage.tsx"));
      if (!room) throw new Error("room-preload: the RoomPage chunk is missing");
      const scripts = new Set<string>();
      const styles = new Set<string>();
      const visit = (fileName: string) => {
        const chunk = byName.get(fileName);
        if (!chunk || scripts.has(fileName)) return;
        scripts.add(fileName);
        for (const css of chunk.viteMetadata?.importedCss ?? []) styles.add(css);
        chunk.imports.forEach(visit);
      };
      visit(room.fileName);
      const index = readFileSync(join(dir, "index.html"), "utf8");
      const already = (file: string) => index.includes(`/${file}"`);
      const links = [
        ...[...scripts].filter((f) => !already(f)).map((f) => `<link rel="modulepreload" crossorigin href="/${f}">`),
        ...[...styles].filter((f) => !already(f)).map((f) => `<link rel="stylesheet" crossorigin href="/${f}">`),
      ];
      writeFileSync(join(dir, "room.html"), index.replace("  </head>", `    ${links.join("\n    ")}\n  </head>`));
    },
  };
}

/** Text files worth compressing (fonts and images are compressed already). */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|wasm)$/;

/**
 * Each text asset beside a `.br` (Brotli, quality 11) and a `.gz` (gzip, level 9) copy, made
 * once at build time: the server sends the one the browser accepts (codepair/web_assets.py)
 * and compresses nothing per request. Browsers take `br` on secure origins only (HTTPS and
 * localhost), so `gz` is what an instance on plain HTTP under another name sends. zlib runs on libuv's thread pool, so the files go in parallel.
 */
function precompress(): Plugin {
  const br = promisify(brotliCompress);
  const gz = promisify(gzip);
  return {
    name: "codepair-precompress",
    apply: "build",
    async closeBundle() {
      const dir = join(fileURLToPath(new URL(".", import.meta.url)), "dist");
      const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((name) => COMPRESSIBLE.test(name))
        .map((name) => join(dir, name));
      await Promise.all(
        files.map(async (file) => {
          const body = readFileSync(file);
          if (body.length < 1024) return;
          const [brotli, gzipped] = await Promise.all([
            br(body, {
              params: {
                [constants.BROTLI_PARAM_QUALITY]: 11,
                [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
              },
            }),
            gz(body, { level: 9 }),
          ]);
          // A copy that saves little is not worth a second file to keep in step.
          if (brotli.length < body.length * 0.9) writeFileSync(`${file}.br`, brotli);
          if (gzipped.length < body.length * 0.9) writeFileSync(`${file}.gz`, gzipped);
        }),
      );
    },
  };
}

export default defineConfig({
  plugins: [react(), tailwindcss(), excalidrawFonts(), roomPreload(), precompress()],
  resolve: {
    alias: [
      // Monaco >= 0.56 only exports a few entry points; y-monaco and our lean editor import
      // deep esm paths, so resolve them straight from the package folder.
      { find: /^monaco-editor\/esm\/vs\/(.*)$/, replacement: `${monacoEsm}$1` },
    ],
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/ws": { target: "ws://127.0.0.1:8000", ws: true },
    },
  },
  build: {
    target: "es2022",
    chunkSizeWarningLimit: 4000,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
