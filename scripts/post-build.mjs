// The release's last steps (Trunk.toml [[hooks]] post_build; see "Release size" in the README). index.html tells
// trunk not to run wasm-opt (data-wasm-opt="0"): this script runs it, after it has
//   1. given the wasm-bindgen imports short names: the glue's import names (`__wbg_addEventListener_<16 hex>`,
//      about 240 of them, each written once in the wasm and once in the JS) become `a`, `b`, ... `eD`, in both files;
//   2. removed the exports nobody uses: wasm-streams' IntoUnderlying{Source,ByteSource,Sink} classes, which Leptos's
//      server-function support links in and wasm-bindgen must export (the desktop has no server functions), from
//      the wasm and from the glue, so wasm-opt can drop their code;
//   3. run wasm-opt (binaryen 132 from the tools cache, on PATH through scripts/env.sh) with WASM_OPT below;
//   4. minified the JS glue with terser (pinned in scripts/minify/package-lock.json, installed by scripts/install.sh;
//      trunk's own minifier cannot parse the glue);
//   5. written the new sha384 integrity of the wasm and the glue into index.html.
// Any surprise (an import name not found exactly once in the glue, a class not removed whole, a tool missing)
// stops the build with an error, so a release is never half-rewritten.
//   node scripts/post-build.mjs STAGING_DIR                 (the hook: rewrites the staging folder in place)
//   node scripts/post-build.mjs --names BINDGEN_DIR OUT.wasm (the size report: steps 1-3 with -g, names kept)
import { readFileSync, writeFileSync, readdirSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { pathToFileURL } from "node:url";

// wasm-opt's passes for the release (measured in the README: -ocimfs 20 inlines a function that has one caller only
// when it is small, which makes the gzip smaller than -Oz alone). --low-memory-unused: Rust puts the stack first,
// so the lowest KB of memory is only reached by a stack overflow. The producers and target-features sections are
// for tools, not browsers.
export const WASM_OPT = ["-Oz", "-ocimfs", "20", "--low-memory-unused", "--strip-producers", "--strip-target-features"];
// Exported classes the desktop never uses (see 2. above).
const UNUSED_CLASSES = ["IntoUnderlyingByteSource", "IntoUnderlyingSink", "IntoUnderlyingSource"];

const fail = (m) => { console.error(`post-build: ${m}`); process.exit(1); };
const args = process.argv.slice(2);
const names = args[0] === "--names";
const dir = names ? args[1] : args[0];
if (!dir || !existsSync(dir)) fail(`no folder ${dir}`);
if (!names && !existsSync(join(dir, "index.html"))) fail(`no index.html in ${dir}`);
const files = readdirSync(dir);
const wasmFile = files.find((f) => f.endsWith("_bg.wasm"));
const jsFile = wasmFile && files.find((f) => f === wasmFile.replace(/_bg\.wasm$/, ".js"));
if (!wasmFile || !jsFile) fail(`no wasm-bindgen output (NAME_bg.wasm and NAME.js) in ${dir}`);

const wasm = readFileSync(join(dir, wasmFile));
let js = readFileSync(join(dir, jsFile), "utf8");
let pos = 8;
const u32 = () => { let r = 0, s = 0, b; do { b = wasm[pos++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return Buffer.from(out); };
const str = () => { const n = u32(); const s = wasm.toString("utf8", pos, pos + n); pos += n; return s; };
const name = (s) => { const b = Buffer.from(s, "utf8"); return Buffer.concat([leb(b.length), b]); };
const short = (i) => { const abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"; let s = "";
  do { s = abc[i % 52] + s; i = Math.floor(i / 52) - 1; } while (i >= 0); return s; };

// --- 2. (JS side first, so the wasm side knows which classes were there) -------------------------------------------
const removed = [];
for (const cls of UNUSED_CLASSES) {
  if (!js.includes(`export class ${cls} `)) continue; // not linked in (any more): nothing to do
  const body = new RegExp(`^export class ${cls} \\{\\n[\\s\\S]*?\\n\\}\\n(if \\(Symbol\\.dispose\\) ${cls}\\.prototype\\[Symbol\\.dispose\\] = ${cls}\\.prototype\\.free;\\n)?`, "m");
  const fin = new RegExp(`^const ${cls}Finalization = [^;]*;\\n`, "m");
  if (!body.test(js) || !fin.test(js)) fail(`the glue's ${cls} is not in the expected shape`);
  js = js.replace(body, "").replace(fin, "");
  if (js.includes(cls)) fail(`${cls} is still named in the glue after its removal`);
  removed.push(cls.toLowerCase());
}
const unusedExport = (n) => removed.some((c) => n.startsWith(`${c}_`) || n === `__wbg_${c}_free`);

// --- 1. and 2.: rewrite the import and export sections --------------------------------------------------------------
const parts = [wasm.subarray(0, 8)];
let renamed = 0, dropped = 0;
while (pos < wasm.length) {
  const start = pos; const id = wasm[pos++]; const size = u32(); const end = pos + size;
  if (id === 2) {
    const out = []; const count = u32(); out.push(leb(count));
    for (let i = 0; i < count; i++) {
      const mod = str(); const field = str(); const descStart = pos; const kind = wasm[pos++];
      if (kind === 0) u32(); else if (kind === 1) { pos++; const f = u32(); u32(); if (f & 1) u32(); }
      else if (kind === 2) { const f = u32(); u32(); if (f & 1) u32(); } else if (kind === 3) { pos += 2; } else fail(`unknown import kind ${kind}`);
      let newField = field;
      // The glue's own imports (module `./NAME_bg.js`); every other key of its imports object starts with `__`, so
      // the short names (letters only) cannot clash with one.
      if (mod.endsWith("_bg.js") && /^__wbg_[A-Za-z0-9_]+$/.test(field)) {
        // The glue lists each import once, as a property `NAME: function(` of the imports object.
        const re = new RegExp(`(?<![A-Za-z0-9_$])${field}(?![A-Za-z0-9_$])`, "g");
        const hits = js.match(re) || [];
        if (hits.length !== 1) fail(`import ${field} is in the JS glue ${hits.length} times (expected once)`);
        newField = short(renamed++);
        js = js.replace(re, newField);
      }
      out.push(name(mod), name(newField), wasm.subarray(descStart, pos));
    }
    if (pos !== end) fail("import section not read to its end");
    const content = Buffer.concat(out);
    parts.push(Buffer.from([2]), leb(content.length), content);
  } else if (id === 7) {
    const count = u32(); const keep = [];
    for (let i = 0; i < count; i++) {
      const es = pos; const field = str(); pos++; u32();
      if (unusedExport(field)) dropped++; else keep.push(wasm.subarray(es, pos));
    }
    if (pos !== end) fail("export section not read to its end");
    const content = Buffer.concat([leb(keep.length), ...keep]);
    parts.push(Buffer.from([7]), leb(content.length), content);
  } else parts.push(wasm.subarray(start, end));
  pos = end;
}
if (removed.length && !dropped) fail("the removed classes had no exports in the wasm");
for (const c of removed) if (js.includes(`wasm.${c}_`)) fail(`the glue still calls an export of ${c}`);

// --- 3. wasm-opt ----------------------------------------------------------------------------------------------------
const tmp = mkdtempSync(join(tmpdir(), "post-build-"));
const input = join(tmp, "in.wasm");
writeFileSync(input, Buffer.concat(parts));
const output = names ? args[2] : join(dir, wasmFile);
if (!output) fail("--names needs an output file");
try {
  execFileSync("wasm-opt", [...WASM_OPT, ...(names ? ["-g"] : []), input, "-o", output], { stdio: "inherit" });
} catch (e) {
  fail(`wasm-opt failed (${e.message}); scripts/install.sh installs binaryen's wasm-opt, scripts/env.sh puts it on PATH`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (names) process.exit(0);

// --- 4. minify the glue ---------------------------------------------------------------------------------------------
const tools = process.env.MINIFY_MODULES || join(process.env.HOME || "", ".cache/agent-desktop/tools/minify/node_modules");
const terserPath = join(tools, "terser/dist/bundle.min.js");
if (!existsSync(terserPath)) fail(`terser is missing (${terserPath}): run scripts/install.sh`);
const { minify } = await import(pathToFileURL(terserPath).href);
const min = await minify(js, { module: true, ecma: 2020, compress: { passes: 2 }, mangle: true });
if (!min.code) fail("terser returned nothing");
writeFileSync(join(dir, jsFile), min.code);

// --- 5. integrity ---------------------------------------------------------------------------------------------------
let html = readFileSync(join(dir, "index.html"), "utf8");
for (const f of [wasmFile, jsFile]) {
  const sri = "sha384-" + createHash("sha384").update(readFileSync(join(dir, f))).digest("base64");
  const file = f.replace(/\./g, "\\.");
  const after = new RegExp(`(href="?[^" >]*${file}"?[^>]*?integrity="?)sha384-[A-Za-z0-9+/=]+`);
  const before = new RegExp(`(integrity="?)sha384-[A-Za-z0-9+/=]+("?[^>]*href="?[^" >]*${file})`);
  if (after.test(html)) html = html.replace(after, `$1${sri}`);
  else if (before.test(html)) html = html.replace(before, `$1${sri}$2`);
  else fail(`no integrity attribute for ${f} in index.html`);
}
writeFileSync(join(dir, "index.html"), html);
console.log(`post-build: ${renamed} imports renamed, ${dropped} unused exports removed, wasm-opt ${WASM_OPT.join(" ")}, ` +
  `${jsFile} minified to ${min.code.length} bytes, integrity updated`);
