/// <reference types="node" />
import { cpSync } from "node:fs";
import { fileURLToPath } from "node:url";

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

export default defineConfig({
  plugins: [react(), tailwindcss(), excalidrawFonts()],
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
