// Release post-build step (Trunk.toml [[hooks]] post_build; see "Release size" in the README). In trunk's staging
// folder it:
//   1. gives the wasm-bindgen imports short names: the glue's import names (`__wbg_addEventListener_<16 hex>`,
//      about 250 of them, each written once in the wasm and once in the JS) become `a`, `b`, ... `aB`, in both files;
//   2. minifies the JS glue with terser (pinned in scripts/minify/package-lock.json; installed by scripts/install.sh),
//      which trunk's own minifier cannot parse;
//   3. writes the new sha384 integrity of the files it changed into index.html.
// Any surprise (an import name not found exactly once in the glue, a file missing) stops the build with an error,
// so a release is never half-rewritten.
//   node scripts/post-build.mjs STAGING_DIR
import { readFileSync, writeFileSync, readdirSync, existsSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.argv[2];
const fail = (m) => { console.error(`post-build: ${m}`); process.exit(1); };
if (!dir || !existsSync(join(dir, "index.html"))) fail(`no index.html in ${dir}`);
const files = readdirSync(dir);
const wasmFile = files.find((f) => f.endsWith("_bg.wasm"));
const jsFile = wasmFile && files.find((f) => f === wasmFile.replace(/_bg\.wasm$/, ".js"));
if (!wasmFile || !jsFile) fail("no wasm-bindgen output (NAME_bg.wasm and NAME.js) in the staging folder");

// --- 1. short import names -------------------------------------------------------------------------------------
const wasm = readFileSync(join(dir, wasmFile));
let js = readFileSync(join(dir, jsFile), "utf8");
let pos = 8;
const u32 = () => { let r = 0, s = 0, b; do { b = wasm[pos++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return r >>> 0; };
const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return Buffer.from(out); };
const name = (s) => { const b = Buffer.from(s, "utf8"); return Buffer.concat([leb(b.length), b]); };
const short = (i) => { const abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"; let s = "";
  do { s = abc[i % 52] + s; i = Math.floor(i / 52) - 1; } while (i >= 0); return s; };
const parts = [wasm.subarray(0, 8)];
let renamed = 0;
while (pos < wasm.length) {
  const start = pos; const id = wasm[pos++]; const size = u32(); const body = pos; const end = body + size;
  if (id !== 2) { parts.push(wasm.subarray(start, end)); pos = end; continue; }
  const out = []; const count = u32(); out.push(leb(count));
  const str = () => { const n = u32(); const s = wasm.toString("utf8", pos, pos + n); pos += n; return s; };
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
}
writeFileSync(join(dir, wasmFile), Buffer.concat(parts));

// --- 2. minify the glue ------------------------------------------------------------------------------------------
const tools = process.env.MINIFY_MODULES || join(process.env.HOME || "", ".cache/agent-desktop/tools/minify/node_modules");
const terserPath = join(tools, "terser/dist/bundle.min.js");
if (!existsSync(terserPath)) fail(`terser is missing (${terserPath}): run scripts/install.sh`);
const { minify } = await import(pathToFileURL(terserPath).href);
const min = await minify(js, { module: true, ecma: 2020, compress: { passes: 2 }, mangle: true });
if (!min.code) fail("terser returned nothing");
writeFileSync(join(dir, jsFile), min.code);

// --- 3. integrity ------------------------------------------------------------------------------------------------
let html = readFileSync(join(dir, "index.html"), "utf8");
for (const f of [wasmFile, jsFile]) {
  const sri = "sha384-" + createHash("sha384").update(readFileSync(join(dir, f))).digest("base64");
  const re = new RegExp(`(href="?[^" >]*${f.replace(/\./g, "\\.")}"?[^>]*?integrity="?)sha384-[A-Za-z0-9+/=]+`);
  const re2 = new RegExp(`(integrity="?)sha384-[A-Za-z0-9+/=]+("?[^>]*href="?[^" >]*${f.replace(/\./g, "\\.")})`);
  if (re.test(html)) html = html.replace(re, `$1${sri}`);
  else if (re2.test(html)) html = html.replace(re2, `$1${sri}$2`);
  else fail(`no integrity attribute for ${f} in index.html`);
}
writeFileSync(join(dir, "index.html"), html);
console.log(`post-build: ${renamed} imports renamed, ${jsFile} minified (${Buffer.byteLength(js)} -> ${min.code.length} bytes), integrity updated`);
